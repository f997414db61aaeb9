import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@skelflow/core';
await initBackend('wasm');
const nat = (tf.getKernel('BatchMatMul','wasm') as any);
for (const [m,k,n,tb] of [[6144,63,128,0],[6144,64,128,0],[6144,65,128,0],[6144,96,128,0],[6144,128,128,0],[6144,128,128,1],[6144,256,128,0],[6144,128,64,0],[1000,128,128,0],[6144,128,32,0]]) {
  const a = tf.randomNormal([m,k]); const b = tf.randomNormal(tb?[n,k]:[k,n]);
  let best=1e9;
  for (let r=0;r<3;r++){ const t0=performance.now(); const c=tf.matMul(a,b,false,!!tb); c.dataSync(); best=Math.min(best,performance.now()-t0); c.dispose(); }
  console.log(m,k,n,tb?'tB':'  ',best.toFixed(1),'ms', (2*m*k*n/best/1e6).toFixed(2),'GFLOP/s');
}
