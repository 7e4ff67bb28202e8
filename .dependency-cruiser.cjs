/**
 * durn's layers, checked by `npm run deps` (part of `npm test`). Imports point down only:
 *
 *   core (ground) → models → training → plugins → pipeline → tui, cli
 *
 * src/index.ts and src/api.ts are the library's entry (they may import any room but cli and tui);
 * src/cli.ts is the executable's entry. ARCHITECTURE.md explains each room.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-ground',
      comment:
        'src/core (errors, version, config folders, option validation, atomic writes) is the ground every ' +
        'room stands on: it imports nothing else of durn, so any room can use it without a cycle.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'models-know-no-tasks',
      comment:
        'src/models (graph, networks, weights, engines) is about networks only: it knows nothing of ' +
        'training, tasks, files to restore, tiles or terminals, so engines and weights stay reusable and testable alone.',
      severity: 'error',
      from: { path: '^src/models/' },
      to: { path: '^src/', pathNot: '^src/(core|models)/' },
    },
    {
      name: 'training-is-generic',
      comment:
        'src/training is the generic trainer: it takes a network, a degradation, a loss and a recipe ' +
        '(TrainingTask) and knows no task, so a new task never edits it. Plugins, the pipeline and the ' +
        'CLI sit above it.',
      severity: 'error',
      from: { path: '^src/training/' },
      to: { path: '^src/', pathNot: '^src/(core|models|training)/' },
    },
    {
      name: 'plugins-are-descriptions',
      comment:
        'A task plugin describes its task (networks, weights names, options, tiling, damage model, loss); ' +
        'the pipeline runs it and the CLI offers it. A plugin importing them would make adding a task ' +
        'touch more than one folder.',
      severity: 'error',
      from: { path: '^src/plugins/' },
      to: { path: '^src/', pathNot: '^src/(core|models|training|plugins)/' },
    },
    {
      name: 'a-task-is-one-folder',
      comment:
        'One task folder never imports another: what tasks share lives in src/plugins/*.ts (common, types), ' +
        'so a task can be added or removed as one folder.',
      severity: 'error',
      from: { path: '^src/plugins/([^/]+)/' },
      to: { path: '^src/plugins/[^/]+/', pathNot: '^src/plugins/$1/' },
    },
    {
      name: 'pipeline-is-a-library',
      comment:
        'src/pipeline is a library that emits events (RunEvent, WatchEvent); screens listen. It never ' +
        'imports the terminal UI or the commands, so the library, the watch folder and tests run without a terminal.',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(cli|tui)/|^src/(cli|index|api)\\.ts$' },
    },
    {
      name: 'tui-renders-no-commands',
      comment:
        'src/tui renders state; src/cli decides which screen (dashboard, plain lines, JSON) a command gets. ' +
        'The TUI importing a command would tie screens to argument parsing.',
      severity: 'error',
      from: { path: '^src/tui/' },
      to: { path: '^src/cli/|^src/(cli|index)\\.ts$' },
    },
    {
      name: 'library-entry-has-no-terminal',
      comment: 'src/index.ts and src/api.ts are what `import "durn"` loads: no commands, no terminal UI.',
      severity: 'error',
      from: { path: '^src/(index|api)\\.ts$' },
      to: { path: '^src/(cli|tui)/|^src/cli\\.ts$' },
    },
    {
      name: 'only-cli-parses-arguments',
      comment: 'commander is the command line: only src/cli (and the src/cli.ts entry) may use it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/|^src/cli\\.ts$' },
      to: { path: 'node_modules/commander/' },
    },
    {
      name: 'only-tui-draws',
      comment:
        'ink and react draw on a terminal: only src/tui may import them (src/cli chooses when to use it).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/tui/' },
      to: { path: 'node_modules/(ink|react)/' },
    },
    {
      name: 'imports-resolve',
      comment: 'An import the checker cannot resolve escapes every rule above (and would fail at run time).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment:
        'A cycle makes two modules one room in disguise (and breaks top-level-await discovery order): ' +
        'cut it by moving the shared part down a layer.',
      severity: 'error',
      from: { path: '^src/' },
      // Type-only imports vanish at run time, so a cycle through one is no run-time cycle.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
      // ESM-only packages (ink) resolve through their "exports" import condition.
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
