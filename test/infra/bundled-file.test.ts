import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBundledFileCommand } from '../../lib/bundled-file';
import { tempDir } from './synth';

describe('writeBundledFileCommand', () => {
  it('writes the content byte for byte, whatever quotes, lines or characters it holds', () => {
    const outputDir = join(tempDir("it's a dir"), 'out $HOME');
    execFileSync('mkdir', ['-p', outputDir]);
    const content = `{"name": "Bob's \\"trunk\\" $HOME \`id\`"}\n² ünïcødé\n`;
    execFileSync('bash', ['-c', writeBundledFileCommand(outputDir, 'alert-config.json', content)]);
    expect(readFileSync(join(outputDir, 'alert-config.json'), 'utf8')).toBe(content);
  });
});
