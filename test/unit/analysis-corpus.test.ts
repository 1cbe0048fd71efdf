// The chain analysis on a corpus of buggy and correct Middy 7 handlers (test/fixtures/chain-corpus, real @middy
// packages and Powertools parser): every planted bug is reported with its code, and no correct handler gets a
// warning or an error. The bench (bench/chain-analysis.ts) prints the same score as recall and false-positive rate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeChains } from '../../runner/analysis/index.ts';
import { scoreCorpus } from '../fixtures/chain-corpus/score.ts';

test('corpus: every planted bug reported, no false alarm on a correct handler', async () => {
  const score = await scoreCorpus((file) => analyzeChains(file));
  assert.ok(score.buggy >= 25, `at least 25 buggy handlers (${score.buggy})`);
  assert.ok(score.correct >= 50, `at least 50 correct handlers (${score.correct})`);
  const show = (v: (typeof score.verdicts)[number]) => `${v.file.split('/').pop()}:${v.line} ${v.chain}: expected [${v.expected}] reported [${v.reported}]`;
  assert.deepEqual(score.missed.map(show), []);
  assert.deepEqual(score.falseAlarms.map(show), []);
  assert.equal(score.recall, 1);
  assert.equal(score.falsePositiveRate, 0);
});
