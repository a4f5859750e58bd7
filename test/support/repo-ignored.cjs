// The files and directories git ignores in the repository (node_modules and coverage aside),
// e.g. cdk.out/ or .local-state/ left by a run; null outside a git checkout.
const { execFileSync } = require('node:child_process');

exports.ignoredInRepo = (rootDir) => {
  try {
    const status = execFileSync(
      'git',
      [
        'status',
        '--porcelain',
        '--ignored',
        '--untracked-files=normal',
        '--',
        '.',
        ':(exclude)node_modules',
        ':(exclude)coverage',
      ],
      { cwd: rootDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return status
      .split('\n')
      .filter((line) => line.startsWith('!! '))
      .map((line) => line.slice(3));
  } catch {
    return null;
  }
};
