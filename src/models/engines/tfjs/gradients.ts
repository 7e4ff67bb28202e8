/**
 * Registers tfjs-core's gradient functions. tfjs-core's Node bundle (its `main`) ships no gradients:
 * the union package @tensorflow/tfjs adds them from `dist/register_all_gradients.js`, an ES module
 * tree with extensionless relative imports that Node cannot resolve. A resolve hook, scoped to
 * files inside tfjs-core's dist folder, adds the `.js`. The registry is process-global (tfjs keeps
 * it on globalThis), and tfjs's Tensor has a structural `instanceof`, so the ESM copy of the ops
 * that the gradients use works on tensors of the bundle and runs on the same engine.
 */
import { createRequire, registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { DurnBugError } from '../../../core/errors.ts';

const require = createRequire(import.meta.url);
const coreDist = join(dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist');
const coreDistUrl = `${pathToFileURL(coreDist).href}/`;

let done: Promise<void> | undefined;

export function registerTfjsGradients(): Promise<void> {
  done ??= (async () => {
    if (tf.getGradient('Reshape') !== undefined) return; // someone (e.g. @tensorflow/tfjs) did it
    const hooks = registerHooks({
      resolve(specifier, context, next) {
        if (
          context.parentURL?.startsWith(coreDistUrl) &&
          (specifier.startsWith('./') || specifier.startsWith('../')) &&
          !specifier.endsWith('.js')
        ) {
          return next(`${specifier}.js`, context);
        }
        return next(specifier, context);
      },
    });
    try {
      await import(`${coreDistUrl}register_all_gradients.js`);
    } finally {
      hooks.deregister();
    }
    if (tf.getGradient('Reshape') === undefined) {
      throw new DurnBugError('tfjs gradients did not register');
    }
  })();
  return done;
}
