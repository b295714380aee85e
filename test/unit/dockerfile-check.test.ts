// The Dockerfile reader and the checks run before the engine is asked: every problem with its
// line, BuildKit-only syntax named with what to write instead, and step numbers mapped to lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classicBuilderProblems,
  instructionOfStep,
} from '../../builder/src/dockerfile/dockerfile-check.js';
import { dockerfileInstructions } from '../../builder/src/dockerfile/dockerfile-instructions.js';

const check = (text: string) => classicBuilderProblems(dockerfileInstructions(text));

const NODE_SERVICE = [
  '# syntax=docker/dockerfile:1',
  'ARG NODE_IMAGE=node:20-slim',
  'FROM ${NODE_IMAGE} AS build',
  'WORKDIR /app',
  'COPY package.json package-lock.json ./',
  'RUN npm ci --omit=dev \\',
  '    && npm cache clean --force',
  '',
  'COPY src/ ./src/',
  'FROM ${NODE_IMAGE}',
  'COPY --from=build --chown=node:node /app /app',
  'USER node',
  'CMD ["node", "src/server.js"]',
].join('\n');

describe('dockerfileInstructions', () => {
  it('gives each instruction the line it starts on, joining continuation lines', () => {
    const found = dockerfileInstructions(NODE_SERVICE);
    assert.deepEqual(
      found.map((i) => [i.keyword, i.line]),
      [
        ['ARG', 2],
        ['FROM', 3],
        ['WORKDIR', 4],
        ['COPY', 5],
        ['RUN', 6],
        ['COPY', 9],
        ['FROM', 10],
        ['COPY', 11],
        ['USER', 12],
        ['CMD', 13],
      ],
    );
    assert.equal(found[4]!.args, 'npm ci --omit=dev  && npm cache clean --force');
  });

  it('keeps a heredoc body with its instruction', () => {
    const found = dockerfileInstructions(
      'FROM alpine\nRUN <<EOF\napk add curl\nset -e\nEOF\nCOPY <<-"CONF" /etc/app.conf\nkey=1\nCONF\nCMD ["sh"]\n',
    );
    assert.deepEqual(
      found.map((i) => [i.keyword, i.line, i.heredocs]),
      [
        ['FROM', 1, []],
        ['RUN', 2, ['EOF']],
        ['COPY', 6, ['CONF']],
        ['CMD', 9, []],
      ],
    );
  });
});

describe('classicBuilderProblems', () => {
  it('finds nothing wrong in a typical multi-stage Node.js Dockerfile', () => {
    assert.deepEqual(check(NODE_SERVICE), []);
  });

  it('names BuildKit-only flags with their line and what to write instead', () => {
    const problems = check(
      [
        'FROM alpine',
        'RUN --mount=type=cache,target=/root/.npm npm ci',
        'COPY --link --chmod=755 run.sh /usr/local/bin/',
        'ADD --checksum=sha256:abc https://example.com/x.tgz /x.tgz',
      ].join('\n'),
    );
    assert.deepEqual(
      problems.map((p) => [p.line, p.message.split(':')[0]]),
      [
        [2, "RUN --mount needs BuildKit, which Ferry's builder does not use"],
        [3, "COPY --link needs BuildKit, which Ferry's builder does not use"],
        [3, "COPY --chmod needs BuildKit, which Ferry's builder does not use"],
        [4, "ADD --checksum needs BuildKit, which Ferry's builder does not use"],
      ],
    );
    assert.match(problems[0]!.message, /COPY what it needs first$/);
  });

  it('names heredocs, unknown instructions and a missing FROM', () => {
    assert.deepEqual(
      check('FROM alpine\nRUN <<EOF\necho hi\nEOF\n').map((p) => p.line),
      [2],
    );
    assert.match(check('FROM alpine\nRUN <<EOF\necho hi\nEOF\n')[0]!.message, /heredoc \(<<EOF\)/);
    assert.deepEqual(check('FROM alpine\nRUNN echo hi\n'), [
      { line: 2, message: "unknown instruction 'RUNN'" },
    ]);
    assert.deepEqual(check('# nothing here\n'), [{ line: 1, message: 'no FROM instruction' }]);
  });

  it('accepts the flags the classic builder knows', () => {
    assert.deepEqual(
      check('FROM --platform=linux/arm64 alpine\nCOPY --chown=1000:1000 --from=0 /a /b\n'),
      [],
    );
  });
});

describe('instructionOfStep', () => {
  it('counts steps from the top, global ARGs included, as the engine does', () => {
    const instructions = dockerfileInstructions(NODE_SERVICE);
    assert.equal(instructionOfStep(instructions, 5)?.line, 6);
    assert.equal(instructionOfStep(instructions, 1)?.keyword, 'ARG');
    assert.equal(instructionOfStep(instructions, 99), undefined);
  });
});
