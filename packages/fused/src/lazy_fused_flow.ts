import type { CompileOptions, FusableFlow } from './compile.js';
import { FusedFlow } from './fused_flow.js';
import { registerFastPath, type FastPath } from './registry.js';

/** Options of {@link LazyFusedFlow}. */
export interface LazyFusedFlowOptions extends CompileOptions {
  /**
   * A fast path to register before compiling. Registration is idempotent (replaces by name);
   * referencing the fast path from the model also keeps its module, and so its registration, in
   * any bundle that compiles the model.
   */
  fastPath?: FastPath;
}

/**
 * A model's flow on the fused engine, compiled on first use: {@link LazyFusedFlow.get} compiles
 * once (`FusedFlow.tryCreate`) and, on every later call, pulls the module's current weights in.
 * When the flow has no fused form, `get()` is `null` and {@link LazyFusedFlow.reason} says why.
 * Shared by the flow models (STG-NF, DSNF, MSG-Flow) behind their `fused()` methods.
 *
 * @example
 * ```ts
 * const fused = new LazyFusedFlow(model.flow, [2, 24, 18], { fastPath: stgNfFastPath });
 * fused.get()?.nllBitsPerDim(data);
 * ```
 */
export class LazyFusedFlow {
  private flow: FusedFlow | null | undefined = undefined;
  private why = '';

  /**
   * @param source - The flow to compile.
   * @param eventShape - One sample's shape, e.g. `[C, T, V]`.
   * @param options - Compile options (e.g. `contextShape`) and a fast path to register first.
   */
  constructor(
    private readonly source: FusableFlow,
    private readonly eventShape: readonly number[],
    private readonly options: LazyFusedFlowOptions = {},
  ) {}

  /** The compiled flow with the current weights pulled in, or `null` if the flow has no fused form. */
  get(): FusedFlow | null {
    if (this.flow === undefined) {
      const { fastPath, ...compile } = this.options;
      if (fastPath) registerFastPath(fastPath);
      const f = FusedFlow.tryCreate(this.source, this.eventShape, compile);
      this.flow = f instanceof FusedFlow ? f : null;
      this.why = f instanceof FusedFlow ? '' : f.reason;
      return this.flow;
    }
    this.flow?.pull();
    return this.flow;
  }

  /** Why {@link LazyFusedFlow.get} is `null` ('' when it is not); compiles on first use. */
  get reason(): string {
    this.get();
    return this.why;
  }

  /** Frees the compiled flow's buffers and workers, if it was compiled. */
  dispose(): void {
    this.flow?.dispose();
  }
}
