// The model families the `skelflow` command knows. Adding a model = one folder under examples/
// (a package exporting a ModelFamily) + one registration line here.
import { dsnfFamily } from '@skelflow/dsnf';
import { mgnetFamily } from '@skelflow/mgnet';
import { ModelRegistry } from '@skelflow/model';
import { msgFlowFamily } from '@skelflow/msg-flow';
import { nflowadFamily } from '@skelflow/nflowad';
import { pcaGaussianFamily } from '@skelflow/pca-gaussian';
import { stgNfFamily } from '@skelflow/stg-nf';
// The families' `./node` entries give their `load(path)` and models' `save(dir)` the file system.
import '@skelflow/pca-gaussian/node';
import '@skelflow/dsnf/node';
import '@skelflow/mgnet/node';
import '@skelflow/msg-flow/node';
import '@skelflow/nflowad/node';
import '@skelflow/stg-nf/node';

/** The registry every command looks models up in (`train --model`, `eval`, `benchmark --models`, `demo --model`, `models`). */
export const registry = new ModelRegistry();
registry.register(stgNfFamily);
registry.register(pcaGaussianFamily);
registry.register(dsnfFamily);
registry.register(msgFlowFamily);
registry.register(nflowadFamily);
registry.register(mgnetFamily);
