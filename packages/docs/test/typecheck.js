// How a TypeScript sample is type-checked, as a user's project would compile it (ES2022, NodeNext, strict): by
// the docs' sample tests, and by @qzz/proxy's test of samples drafted from hostile traffic.
import ts from 'typescript';

/**
 * The program over `files` and its errors, each as `<file name>: <message>`.
 * @param {string[]} files
 * @param {import('typescript').CompilerOptions} [options] more options (where Node's types are, say)
 */
export function typecheckSamples(files, options = {}) {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    ...options,
  });
  const errors = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName.split('/').at(-1)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  return { program, errors };
}
