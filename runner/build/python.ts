// Python functions: the code folder as it is, plus requirements.txt installed for the TARGET
// (`pip install --platform manylinux2014_<arch> --only-binary=:all:`), so an x86_64 machine packages aarch64
// wheels and vice versa. --only-binary because a source distribution would be compiled for this machine.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Architecture } from '../functions/model.ts';
import { copyCode, type PackageProducer } from './producer.ts';
import { BuildError, runTool } from './run-tool.ts';

const PLATFORM: Record<Architecture, string> = { x86_64: 'manylinux2014_x86_64', arm64: 'manylinux2014_aarch64' };

export const buildPython: PackageProducer = async ({ fn, architecture, staging, log, signal }) => {
  copyCode(fn.codeUri, staging);
  const requirements = join(fn.codeUri, 'requirements.txt');
  const wanted = existsSync(requirements)
    ? readFileSync(requirements, 'utf8')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean)
    : [];
  if (!wanted.length) return { notes: [] };
  const version = /^python(\d+\.\d+)/.exec(fn.runtime)![1]!;
  const platform = PLATFORM[architecture];
  log(`pip install -r requirements.txt --platform ${platform} --python-version ${version} --only-binary=:all:`);
  const { code, output } = await runTool({
    command: process.env.OPEN_RUNTIME_PYTHON ?? 'python3',
    args: [
      '-m',
      'pip',
      'install',
      '-r',
      requirements,
      '--target',
      staging,
      '--platform',
      platform,
      '--implementation',
      'cp',
      '--python-version',
      version,
      '--only-binary=:all:',
      '--upgrade',
      '--no-input',
      '--disable-pip-version-check',
      '--retries',
      '1',
      '--timeout',
      '15',
    ],
    cwd: fn.codeUri,
    log,
    signal,
    missing: 'Python is not installed (no "python3" on PATH), so requirements.txt can\'t be installed. Install Python 3 with pip, or set OPEN_RUNTIME_PYTHON.',
  });
  if (code !== 0) {
    const offline =
      /NewConnectionError|Failed to establish a new connection|Name or service not known|Temporary failure in name resolution|ProxyError|ConnectTimeout|Network is unreachable/.test(
        output,
      );
    const noWheel = /Could not find a version that satisfies|No matching distribution found/.test(output);
    const noPip = /No module named pip/.test(output);
    throw new BuildError(
      noPip
        ? `pip is not installed for ${process.env.OPEN_RUNTIME_PYTHON ?? 'python3'}, so requirements.txt can't be installed. Install it (Debian: apt-get install python3-pip).`
        : offline
          ? `pip could not reach the package index, so the packages in ${requirements} can't be downloaded for ${platform} (this build needs the network, or a local mirror: set PIP_INDEX_URL, or PIP_FIND_LINKS to a folder of ${platform} wheels with PIP_NO_INDEX=1).`
          : noWheel
            ? `pip found no ${platform} wheel for Python ${version} of a package in ${requirements} (see above). A package that only has a source distribution can't be cross-built for ${architecture}; pick a version with a binary wheel, or check that the index (or PIP_FIND_LINKS mirror) has it.`
            : `pip install failed for ${requirements} (exit code ${code}); pip's messages are above.`,
      output,
    );
  }
  return { notes: [] };
};
