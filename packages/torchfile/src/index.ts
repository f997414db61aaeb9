export { isTorchZip, readTorchCheckpoint, toPlain, torchStateDict } from './checkpoint.js';
export { decodeElements, DTYPE_BYTES, halfToNumber, STORAGE_DTYPES, type TorchArray, type TorchDtype } from './dtype.js';
export { TorchStorage, TorchTensor } from './tensor.js';
export { ALLOWED_GLOBALS, unpickle, UnsafePickleError, type StorageLoader } from './unpickler.js';
export { isPyTuple, PyGlobal, PyNamespace, pyTuple, type PyValue } from './values.js';
export { crc32, readZipDirectory, zipEntryData, type ZipEntry } from './zip.js';
