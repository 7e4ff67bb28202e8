import { describe, expect, it } from 'vitest';
import type { ImageTensor } from '../../src/models/engines/types.ts';
import { getNetwork } from '../../src/models/networks/index.ts';
import { getPlugin, isTaskId, listPlugins, taskIds } from '../../src/plugins/registry.ts';

const img = (channels: number, values: number[]): ImageTensor => ({
  data: Float32Array.from(values),
  channels,
  height: 1,
  width: values.length / channels,
});

describe('task registry', () => {
  it('discovers the five task folders in the paper’s order', () => {
    expect(taskIds()).toEqual(['denoise', 'deblur', 'dehaze', 'raindrop', 'derain']);
    expect(isTaskId('dehaze')).toBe(true);
    expect(isTaskId('sharpen')).toBe(false);
    expect(() => getPlugin('sharpen')).toThrow(
      'Expected one of denoise, deblur, dehaze, raindrop, derain for the task but received "sharpen"',
    );
  });

  it('picks the network for grey and colour photos', () => {
    const pick = (id: string) => [1, 3].map((c) => getPlugin(id).networkFor({ channels: c as 1 | 3 }));
    expect(pick('denoise')).toEqual(['durn-p', 'durn-p-nonorm']);
    expect(pick('deblur')).toEqual(['durn-u', 'durn-u']);
    expect(pick('dehaze')).toEqual(['durn-us', 'durn-us']);
    expect(pick('raindrop')).toEqual(['durn-s-p', 'durn-s-p']);
    expect(pick('derain')).toEqual(['durn-s', 'durn-s']);
  });

  it('gives every network weights and tiling that suit it', () => {
    for (const plugin of listPlugins()) {
      for (const id of plugin.networks) {
        const net = getNetwork(id);
        expect(plugin.defaultWeights[id]).toMatch(new RegExp(`^${plugin.id}.*\\.${id}\\.safetensors$`));
        const t = plugin.tiling[id]!;
        expect(t.tile % net.sizeMultiple).toBe(0);
        expect(t.tile - 2 * t.overlap).toBeGreaterThan(t.tile / 2);
        // local networks must tile exactly; global ones get big tiles
        if (!net.globalStatistics) expect(t.overlap).toBeGreaterThanOrEqual(net.receptiveRadius);
        else expect(t.tile).toBeGreaterThanOrEqual(768);
      }
      expect(plugin.options.parse({})).toEqual({ strength: 1 });
      expect(() => plugin.options.parse({ strength: 2 })).toThrow();
      expect(() => plugin.options.parse({ strenght: 0.5 })).toThrow();
    }
  });
});

describe('pre- and postprocessing', () => {
  const deblur = getPlugin('deblur');
  const network = getNetwork('durn-u');
  const options = { strength: 1 };

  it('replicates grey to RGB and averages the result back', () => {
    const grey = img(1, [0.2, 0.4]);
    const x = deblur.preprocess(grey, { network, options });
    expect(Array.from(x.data)).toEqual(Array.from(Float32Array.from([0.2, 0.4, 0.2, 0.4, 0.2, 0.4])));
    const y = deblur.postprocess(img(3, [0.1, 0.2, 0.4, 0.5, 0.7, 0.8]), grey, { network, options });
    expect(y.channels).toBe(1);
    expect(y.data[0]).toBeCloseTo(0.4, 6);
    expect(y.data[1]).toBeCloseTo(0.5, 6);
  });

  it('blends by strength and clamps to [0, 1]', () => {
    const input = img(3, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const out = img(3, [1.5, -0.5, 0.7, 0.3, 0.9, 0.1]);
    const half = deblur.postprocess(out, input, { network, options: { strength: 0.5 } });
    expect(Array.from(half.data).map((v) => +v.toFixed(6))).toEqual([1, 0, 0.6, 0.4, 0.7, 0.3]);
    const none = deblur.postprocess(out, input, { network, options: { strength: 0 } });
    expect(Array.from(none.data)).toEqual(Array.from(input.data));
  });

  it('refuses to write non-finite output', () => {
    const input = img(3, [0.5, 0.5, 0.5]);
    expect(() => deblur.postprocess(img(3, [0.5, Number.NaN, 0.5]), input, { network, options })).toThrow(
      /produced 1 non-finite values/,
    );
  });

  it('passes grey straight to the grey denoiser', () => {
    const denoise = getPlugin('denoise');
    const grey = img(1, [0.3]);
    expect(denoise.preprocess(grey, { network: getNetwork('durn-p'), options })).toBe(grey);
  });
});
