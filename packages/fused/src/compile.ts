import type { Variable } from '@tensorflow/tfjs-core';
import { isFusable, type FlowPlan, type FusedPlanContext, type LayerPlan, type PriorPlan } from './plan.js';
import { hasKernel } from './registry.js';

/**
 * What the compiler needs of a flow (structurally, so this package does not depend on the flow
 * classes): its transform and prior, which describe themselves through {@link Fusable}, and its
 * variables in a stable order. `@skelflow/flows`' `NormalizingFlow` is one.
 */
export interface FusableFlow {
  readonly transform: unknown;
  readonly prior: unknown;
  namedParameters(): [string, Variable][];
  namedBuffers(): [string, Variable][];
}

/** A variable of a compiled flow and where it lives in a flat vector. */
export interface FusedVariable {
  name: string;
  variable: Variable;
  offset: number;
  size: number;
}

/** Where each variable of a compiled flow lives in the flat vectors. */
export interface FusedLayout {
  plan: FlowPlan;
  /** Parameters in vector order, with their offsets. */
  params: FusedVariable[];
  /** Buffers in vector order, with their offsets. */
  buffers: FusedVariable[];
}

/** Result of {@link compileFlow}: a layout, or the reason the flow has no fused kernels. */
export type CompileResult = { ok: true; layout: FusedLayout } | { ok: false; reason: string };

/** Options of {@link compileFlow}. */
export interface CompileOptions {
  /** Per-sample shape of the context the flow is conditioned on (e.g. `[C]`); none by default. */
  contextShape?: readonly number[];
}

class CompileFailure extends Error {
  located = false;
}

function nameOf(m: unknown): string {
  return (m as object | null)?.constructor?.name ?? String(m);
}

/**
 * Describes `flow` for the fused engine when every part of it describes itself ({@link Fusable})
 * and every kind it names has a registered kernel; otherwise says which part has no kernel, so
 * callers fall back to the tensor path. Events are `[C, ...]`: kernels see them as `[C, T, V]`
 * with `T = eventShape[1] ?? 1` and `V` the product of the rest.
 */
export function compileFlow(flow: FusableFlow, eventShape: readonly number[], options: CompileOptions = {}): CompileResult {
  if (eventShape.length === 0 || eventShape.some((d) => !Number.isInteger(d) || d < 1)) {
    return { ok: false, reason: `events must be [C, ...] with positive sizes, got [${eventShape}]` };
  }
  const contextSize = (options.contextShape ?? []).reduce((a, d) => a * d, options.contextShape ? 1 : 0);
  const params = flow.namedParameters().map(([name, variable]) => ({ name, variable, offset: 0, size: variable.size }));
  const buffers = flow.namedBuffers().map(([name, variable]) => ({ name, variable, offset: 0, size: variable.size }));
  const paramAt = new Map<Variable, number>();
  const bufferAt = new Map<Variable, number>();
  let n = 0;
  for (const p of params) {
    p.offset = n;
    paramAt.set(p.variable, n);
    n += p.size;
  }
  let m = 0;
  for (const b of buffers) {
    b.offset = m;
    bufferAt.set(b.variable, m);
    m += b.size;
  }
  const fail = (reason: string): never => {
    throw new CompileFailure(reason);
  };
  // Names of the modules being described, outermost first, for the failure messages.
  const path: string[] = [];
  const ctx: FusedPlanContext = {
    param: (v) => paramAt.get(v) ?? fail(`parameter ${v.name} is not a registered variable of the flow (or not trainable here)`),
    buffer: (v) => bufferAt.get(v) ?? fail(`buffer ${v.name} is not a registered variable of the flow (or not fixed here)`),
    eventShape: [...eventShape],
    contextSize,
    describe(child, name) {
      path.push(name);
      try {
        if (!isFusable(child)) return fail(`${nameOf(child)} has no fused kernel`);
        const plan = child.fusedPlan(ctx);
        if (plan === null) return fail(`${nameOf(child)} has no fused kernel in this configuration`);
        for (const node of Array.isArray(plan) ? plan : [plan]) {
          if (!hasKernel(node.kind)) fail(`no fused kernel is registered for kind '${node.kind}'`);
        }
        return plan;
      } catch (e) {
        // The innermost failing module names the path once.
        if (e instanceof CompileFailure && !e.located) {
          e.message = `${path.join('.')}: ${e.message}`;
          e.located = true;
        }
        throw e;
      } finally {
        path.pop();
      }
    },
    fail,
  };
  try {
    const t = ctx.describe(flow.transform, 'transform');
    const layers: LayerPlan[] = Array.isArray(t) ? t : [t];
    const prior = ctx.describe(flow.prior, 'prior');
    if (Array.isArray(prior)) fail('prior: a prior describes itself as one plan');
    const plan: FlowPlan = {
      eventShape: [...eventShape],
      channels: eventShape[0]!,
      frames: eventShape[1] ?? 1,
      joints: eventShape.slice(2).reduce((a, d) => a * d, 1),
      contextSize,
      layers,
      prior: prior as PriorPlan,
      paramCount: n,
      bufferCount: m,
    };
    return { ok: true, layout: { plan, params, buffers } };
  } catch (e) {
    if (e instanceof CompileFailure) return { ok: false, reason: e.message };
    throw e;
  }
}

