import { initBackend } from '@skelflow/core';
import { readPoseDir } from '@skelflow/pose/node';
import { stgNfFamily } from '@skelflow/stg-nf';
await initBackend('wasm');
const clips = await readPoseDir('/tmp/tt/data/pose/train');
for (const lr of [0.5, 2, 10, 25]) {
  const config = stgNfFamily.configure({ lr, epochs: 3, K: 8 });
  const data = stgNfFamily.trainingData({ normal: { clips, source: 'x' } }, config);
  const losses: string[] = [];
  try {
    const { model } = await stgNfFamily.train(config, data, { onProgress: (p) => losses.push(p.loss!.toExponential(1)) });
    let worst = 0; let nonfinite = 0;
    for (const [n, v] of model.net.stateDict()) for (const x of v.dataSync()) { if (!Number.isFinite(x)) nonfinite++; else worst = Math.max(worst, Math.abs(x)); }
    console.log(lr, losses.join(' '), 'maxabs', worst, 'nonfinite', nonfinite);
  } catch (e) { console.log(lr, losses.join(' '), 'ERR', (e as Error).message); }
}
