/**
 * Learning-rate schedules as functions of the epoch (0-based) returning the lr to use in it.
 * STG-NF uses `exponentialDecay(5e-4, 0.99)` applied per epoch.
 */
export type LrSchedule = (epoch: number) => number;

/** `lr·γ^epoch` (PyTorch `ExponentialLR`, STG-NF's `exp_decay`). @example `exponentialDecay(5e-4, 0.99)(2)` */
export function exponentialDecay(lr: number, gamma: number): LrSchedule {
  return (epoch) => lr * gamma ** epoch;
}

/** `lr·γ^floor(epoch/stepSize)` (PyTorch `StepLR`). @example `stepDecay(1e-3, 10, 0.1)(25) // 1e-5` */
export function stepDecay(lr: number, stepSize: number, gamma: number): LrSchedule {
  return (epoch) => lr * gamma ** Math.floor(epoch / stepSize);
}

/** Cosine annealing from `lr` to `minLr` over `epochs` (PyTorch `CosineAnnealingLR`). @example `cosineDecay(1e-3, 10)(10) // 0` */
export function cosineDecay(lr: number, epochs: number, minLr = 0): LrSchedule {
  return (epoch) => minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(epoch, epochs)) / epochs))) / 2;
}

/** A constant learning rate. */
export function constantLr(lr: number): LrSchedule {
  return () => lr;
}
