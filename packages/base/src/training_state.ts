/**
 * A training run's state at a checkpoint, beyond the model's own weights: where the epoch loop is,
 * the batch-order stream, the optimiser and exact copies of whatever the saved weights round (the
 * fused engine's float64 buffers). A run resumed from it ends with the same weights, bit for bit,
 * as the uninterrupted run. Plain data: `arrays` are written as float64, the rest as JSON.
 *
 * It lives here, in the foundation, because both sides of the checkpoint need it and neither may
 * import the other: `@skelflow/core`'s shared trainer writes and reads it, `@skelflow/model`'s
 * `ModelFamily.train` contract (tfjs-free) passes it between a front end and a trainer.
 */
export interface TrainingState {
  /** The epoch to run next or to continue (0-based). */
  epoch: number;
  /** Batches of `epoch` already done. */
  batch: number;
  /** Sum of their losses. */
  lossSum: number;
  /** Mean loss of every finished epoch. */
  history: number[];
  /** The divergence rule's window of recent losses. */
  recent: number[];
  /** The batch-order stream's state at the start of `epoch` (`@skelflow/base` `RngState`). */
  rng: unknown;
  /** The training engine the state belongs to (e.g. `fused`, `tfjs`). */
  engine: string;
  /** The optimiser's step count. */
  t: number;
  /** Named float64 arrays: optimiser moments, exact parameter and buffer copies. */
  arrays: Record<string, Float64Array>;
  /**
   * The stage of a trainer that runs the loop more than once (MSG-Flow: `tokenizer`, `prior`,
   * `flow`); absent for single-loop trainers.
   */
  stage?: string;
  /**
   * The positions (`RngState`) of the random streams the model's modules draw from while training
   * (dropout masks, codebook resets), by module path; absent when the model has none.
   */
  streams?: Record<string, unknown>;
  /**
   * Plain-JSON state the model's trainer keeps beside the loop's (e.g. DSNF's mass-direction
   * stream, MSG-Flow's finished stages' histories); absent when it keeps none.
   */
  extra?: Record<string, unknown>;
}
