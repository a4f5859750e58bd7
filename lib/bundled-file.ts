import { join } from 'node:path';

/**
 * A shell command (for NodejsFunction's `commandHooks`) that writes `content` to `fileName` in
 * the bundle's output directory. The content travels base64-encoded as an argument, so no
 * quoting can break it and no temporary file is left behind. POSIX shells only.
 */
export function writeBundledFileCommand(outputDir: string, fileName: string, content: string): string {
  const script = "require('node:fs').writeFileSync(process.argv[1], Buffer.from(process.argv[2], 'base64'))";
  const base64 = Buffer.from(content, 'utf8').toString('base64');
  return [process.execPath, '-e', script, join(outputDir, fileName), base64].map(shellQuote).join(' ');
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
