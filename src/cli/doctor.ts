/** `durn doctor`: prints what this installation can do and what is missing, with how to fix it. */
import type { Command } from 'commander';
import { type DoctorReport, runDoctor } from '../pipeline/doctor.ts';

const MARK = { ok: 'ok  ', missing: '--  ', warn: '!!  ' } as const;

export function formatDoctor(report: DoctorReport): string[] {
  const lines = [`durn ${report.durn}`];
  for (const section of report.sections) {
    lines.push('', section.title);
    const width = Math.max(...section.checks.map((c) => c.name.length));
    for (const c of section.checks) {
      lines.push(`  ${MARK[c.status]}${c.name.padEnd(width)}  ${c.detail}`);
      if (c.hint && c.status !== 'ok') lines.push(`  ${' '.repeat(4 + width)}  → ${c.hint}`);
    }
  }
  return lines;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check Node.js, engines (ONNX Runtime, TensorFlow.js, PyTorch), ExifTool, sharp and weights.',
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await runDoctor();
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else for (const line of formatDoctor(report)) console.log(line);
      // Missing optional parts are findings, not failures: doctor itself succeeded.
      process.exitCode = 0;
    });
}
