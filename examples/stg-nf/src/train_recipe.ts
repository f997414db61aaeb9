import type { TrainLoopOptions } from '@skelflow/core';

/** The part of `trainLoop`'s options that STG-NF's recipe fixes (DSNF trains with the same). */
export type StgNfRecipeLoopOptions = Pick<TrainLoopOptions, 'epochs' | 'lr' | 'lrDecay' | 'clipNorm' | 'resume' | 'onCheckpoint' | 'shouldStop' | 'onBatch' | 'onEpoch'>;

/**
 * STG-NF's training recipe as `trainLoop` options (the original's 8 epochs, lr 5e-4 decayed by
 * 0.99 per epoch, gradient-norm clip 100, unless `options` says otherwise) plus the caller's
 * resume state and hooks, left out when absent.
 */
export function stgNfRecipeLoopOptions(options: Partial<StgNfRecipeLoopOptions>): StgNfRecipeLoopOptions {
  return {
    epochs: options.epochs ?? 8,
    lr: options.lr ?? 5e-4,
    lrDecay: options.lrDecay ?? 0.99,
    clipNorm: options.clipNorm ?? 100,
    ...(options.resume ? { resume: options.resume } : {}),
    ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
  };
}
