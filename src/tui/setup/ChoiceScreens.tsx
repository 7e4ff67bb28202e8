/** Steps 2–5: task or preset, output folder, options, review. Each renders SetupState only. */
import { Box, Text } from 'ink';
import { SelectList } from '../components/SelectList.tsx';
import { TextInput } from '../components/TextInput.tsx';
import { truncateMiddle } from '../format.ts';
import {
  OPTION_FIELDS,
  type OptionField,
  reviewProblems,
  type SetupState,
  selectedImages,
  toRestoreOptions,
} from '../state/setup-state.ts';
import { Tone } from '../theme.tsx';
import type { Choice } from './catalog.ts';

function weightsWord(w: Choice['weights']) {
  return w === 'present' ? (
    <Tone tone="ok">✓ weights</Tone>
  ) : w === 'partial' ? (
    <Tone tone="warn">~ some weights missing</Tone>
  ) : (
    <Tone tone="error">✗ weights missing</Tone>
  );
}

export function TaskScreen({
  state: s,
  columns,
  height,
}: {
  state: SetupState;
  columns: number;
  height: number;
}) {
  const choices = s.catalog.choices;
  const current = choices[s.choice];
  const rows = choices.map((c) => ({
    key: `${c.kind}-${c.id}`,
    label: (
      <Text>
        {truncateMiddle(
          `${c.kind === 'preset' ? 'preset' : 'task  '} ${c.title}`,
          Math.max(12, columns - 40),
        )}
        <Tone tone="dim"> {c.steps.map((x) => x.task).join(' → ')} </Tone>
        {weightsWord(c.weights)}
      </Text>
    ),
  }));
  if (choices.length === 0) return <Tone tone="error">No tasks or presets were found.</Tone>;
  return (
    <Box flexDirection="column">
      <SelectList
        rows={rows}
        selected={s.choice}
        height={Math.max(3, height - 4 - (current?.steps.length ?? 0))}
      />
      {current ? (
        <Box flexDirection="column" marginTop={1} borderStyle="round" paddingX={1}>
          <Text wrap="wrap">{current.description}</Text>
          {current.steps.map((step, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: steps are positions in the chain (a task may repeat)
            <Text key={`${i}-${step.task}`} wrap="truncate-end">
              {i + 1}. {step.title} <Tone tone="dim">({step.networks})</Tone> {weightsWord(step.weights)}
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}

export function OutputScreen({ state: s, columns }: { state: SetupState; columns: number }) {
  return (
    <Box flexDirection="column">
      <Text>Restored photos are written to this folder (originals are never modified):</Text>
      <Box>
        <Tone tone="accent">› </Tone>
        <TextInput text={s.outDir} focused width={columns - 4} />
      </Box>
      {s.outError ? <Tone tone="error">{s.outError}</Tone> : null}
    </Box>
  );
}

const FIELD_LABELS: Record<OptionField, string> = {
  format: 'Format',
  overwrite: 'Overwrite',
  workers: 'Workers',
  engine: 'Engine',
  device: 'Device',
};

export function optionValue(s: SetupState, field: OptionField): string {
  const o = s.options;
  switch (field) {
    case 'format':
      return o.format === 'same' ? 'same as input' : o.format;
    case 'overwrite':
      return o.overwrite ? 'yes, replace existing outputs' : 'no, skip existing outputs';
    case 'workers':
      return o.workers === 0 ? 'auto' : String(o.workers);
    case 'engine':
      return o.engine;
    case 'device':
      return o.device;
  }
}

export function OptionsScreen({ state: s }: { state: SetupState }) {
  return (
    <Box flexDirection="column">
      {OPTION_FIELDS.map((f, i) => {
        const active = i === s.optionCursor;
        return (
          <Text key={f}>
            {active ? '› ' : '  '}
            <Tone tone={active ? 'accent' : 'plain'} bold={active}>
              {FIELD_LABELS[f].padEnd(10)}
            </Tone>{' '}
            {active ? '‹ ' : '  '}
            {optionValue(s, f)}
            {active ? ' ›' : ''}
          </Text>
        );
      })}
    </Box>
  );
}

export function ReviewScreen({ state: s, columns }: { state: SetupState; columns: number }) {
  const o = toRestoreOptions(s);
  const choice = s.catalog.choices[s.choice];
  const { images, pending, capped } = selectedImages(s);
  const problems = reviewProblems(s);
  const w = columns - 12;
  return (
    <Box flexDirection="column">
      <Text>
        <Tone tone="dim">{'Inputs'.padEnd(10)} </Tone>
        {s.selected.length} selected, {pending ? '…' : `${images}${capped ? '+' : ''}`} images
      </Text>
      {s.selected.map((x) => (
        <Text key={x.path}>
          {' '.repeat(11)}
          {truncateMiddle(x.path, w)}
        </Text>
      ))}
      <Text wrap="truncate-end">
        <Tone tone="dim">{(choice?.kind === 'preset' ? 'Preset' : 'Task').padEnd(10)} </Tone>
        {choice ? `${choice.title}: ${choice.steps.map((x) => x.task).join(' → ')}` : '–'}
      </Text>
      <Text>
        <Tone tone="dim">{'Output'.padEnd(10)} </Tone>
        {truncateMiddle(o.outDir ?? '', w)}
      </Text>
      {OPTION_FIELDS.map((f) => (
        <Text key={f}>
          <Tone tone="dim">{FIELD_LABELS[f].padEnd(10)} </Tone>
          {optionValue(s, f)}
        </Text>
      ))}
      {problems.map((p) => (
        <Tone key={p} tone="warn">
          ! {p}
        </Tone>
      ))}
      <Box marginTop={1}>
        <Tone tone="accent" bold>
          Press enter to start.
        </Tone>
      </Box>
    </Box>
  );
}
