// Unit tests for the compiler argument parser, its flag tables, response files and language
// detection; plus a cross-check of the derived output names against the real gcc/clang when
// they are installed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { FlagTable, parseCompilerArgs, replaceSuffix } from '../wrapper/compilers/argParser';
import { CLANG_FLAGS } from '../wrapper/compilers/clangFlags';
import { GCC_FLAGS } from '../wrapper/compilers/gccFlags';
import { languageFromExtension, resolveLanguage } from '../wrapper/compilers/language';
import { expandResponseFiles, tokenizeResponseFile } from '../wrapper/compilers/responseFile';
import type { CacheableCompile, CompilerFamily, NotCacheableReason } from '../wrapper/compilers/types';

const CWD = '/home/dev/project';

function parse(args: string[], family: CompilerFamily = 'gcc', cwd = CWD) {
  return parseCompilerArgs(family, args, cwd);
}

/** Parses a call that must be cacheable and returns the details. */
function cacheable(args: string[], family: CompilerFamily = 'gcc', cwd = CWD): CacheableCompile {
  const parsed = parse(args, family, cwd);
  if (!parsed.cacheable) assert.fail(`expected cacheable, got '${parsed.reason}' for ${args.join(' ')}`);
  return parsed;
}

function reasonOf(args: string[], family: CompilerFamily = 'gcc', cwd = CWD): NotCacheableReason | 'cacheable' {
  const parsed = parse(args, family, cwd);
  return parsed.cacheable ? 'cacheable' : parsed.reason;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'warmcc-args-'));
}

// --- the basic split into key, preprocessor and dependency arguments --------------------------

test('a typical compile splits into key, preprocessor and dependency arguments', () => {
  const args = [
    '-c',
    'src/a.c',
    '-o',
    'obj/a.o',
    '-O2',
    '-Iinclude',
    '-std=c11',
    '-DNDEBUG',
    '-fPIC',
    '-MMD',
    '-MT',
    'obj/a.o',
    '-MP',
    '-g',
    '-Wall',
    '-fdiagnostics-color=always',
  ];
  const parsed = cacheable(args);
  assert.equal(parsed.inputFile, 'src/a.c');
  assert.equal(parsed.language, 'c');
  assert.equal(parsed.explicitLanguage, false);
  assert.deepEqual(parsed.keyArgs, ['-O2', '-std=c11', '-fPIC', '-g', '-Wall']);
  assert.deepEqual(parsed.preprocessorArgs, ['-O2', '-Iinclude', '-std=c11', '-DNDEBUG', '-fPIC', '-g', '-Wall']);
  assert.deepEqual(parsed.dependencyArgs, ['-MMD', '-MT', 'obj/a.o', '-MP']);
  assert.deepEqual(parsed.expandedArgs, args);
  assert.deepEqual(parsed.outputs, { object: 'obj/a.o', depFile: 'obj/a.d' });
  assert.equal(parsed.color, 'always');
  assert.equal(parsed.debugInfo, true);
  assert.equal(parsed.coverage, false);
  assert.equal(parsed.splitDwarf, false);
});

test('unknown flags are common: kept in the key and passed to the preprocessor, in order', () => {
  const parsed = cacheable(['-c', 'a.c', '-fno-strict-aliasing', '-mavx2', '--some-future-flag', '-Werror=format']);
  assert.deepEqual(parsed.keyArgs, ['-fno-strict-aliasing', '-mavx2', '--some-future-flag', '-Werror=format']);
  assert.deepEqual(parsed.preprocessorArgs, ['-fno-strict-aliasing', '-mavx2', '--some-future-flag', '-Werror=format']);
});

test('flag values stay with their flag in the key, in both separate and attached form', () => {
  const parsed = cacheable([
    '-c',
    'a.c',
    '--param',
    'max-inline-insns-single=10',
    '-Xlinker',
    '--no-undefined',
    '-lm',
    '-L',
    'lib',
    '--sysroot',
    '/sr',
    '-B/opt/bin',
  ]);
  assert.deepEqual(parsed.keyArgs, [
    '--param',
    'max-inline-insns-single=10',
    '-Xlinker',
    '--no-undefined',
    '-lm',
    '-L',
    'lib',
    '--sysroot',
    '/sr',
    '-B/opt/bin',
  ]);
  assert.equal(parsed.inputFile, 'a.c');
});

test('assembler pass-through goes to the key but not to the preprocessor run', () => {
  const parsed = cacheable(['-c', 'a.c', '-Wa,--noexecstack', '-Xassembler', '-mrelax-relocations=no']);
  assert.deepEqual(parsed.keyArgs, ['-Wa,--noexecstack', '-Xassembler', '-mrelax-relocations=no']);
  assert.deepEqual(parsed.preprocessorArgs, []);
});

// --- lookup ------------------------------------------------------------------------------------

test('longest-prefix lookup: -MF beats -M for -MFx.d, and -Mfoo is not -M', () => {
  const table = new FlagTable(GCC_FLAGS);
  assert.equal(table.match('-MFdeps.d')?.flag, '-MF');
  assert.equal(table.match('-MD')?.flag, '-MD');
  assert.equal(table.match('-M')?.flag, '-M');
  assert.equal(table.match('-Mfoo'), undefined);
  assert.equal(table.match('-isystem/usr/x')?.flag, '-isystem');
  assert.equal(table.match('-fdiagnostics-color=never')?.flag, '-fdiagnostics-color=');
  assert.equal(table.match('-gsplit-dwarf')?.flag, '-gsplit-dwarf');
  assert.equal(table.match('-ggdb3')?.flag, '-g');
  assert.equal(table.match('-std=c11'), undefined);
  assert.equal(table.match('-emit-llvm'), undefined, '-e takes a separate value only');
  assert.equal(table.match('-undef')?.flag, '-undef');
  assert.equal(table.match('-fdump-noaddr')?.flag, '-fdump-noaddr');
  assert.equal(table.match('-fdump-tree-all')?.flag, '-fdump-');
});

test('clang table is gcc table plus overrides (clang -gdwarf32 turns debug info on, gcc 12 not)', () => {
  const clang = new FlagTable(CLANG_FLAGS);
  assert.equal(clang.match('-Xclang')?.role, 'tooHard');
  assert.equal(new FlagTable(GCC_FLAGS).match('-Xclang'), undefined);
  assert.equal(clang.match('-MD')?.effect, 'writeDeps', 'gcc entries are inherited');
  assert.equal(cacheable(['-c', 'a.c', '-gdwarf32'], 'gcc').debugInfo, false);
  assert.equal(cacheable(['-c', 'a.c', '-gdwarf32'], 'clang').debugInfo, true);
  const spellings = CLANG_FLAGS.map((spec) => spec.flag);
  assert.equal(new Set(spellings).size, spellings.length, 'one entry per spelling');
});

test('every flag in the tables is named in docs/compiler-flags.md', () => {
  const docs = readFileSync(join(import.meta.dirname, '..', 'docs', 'compiler-flags.md'), 'utf8');
  const missing = [...new Set([...GCC_FLAGS, ...CLANG_FLAGS].map((spec) => spec.flag))].filter((flag) => !docs.includes('`' + flag + '`'));
  assert.deepEqual(missing, []);
});

// --- not cacheable -----------------------------------------------------------------------------

test('only -c compiles are cached: linking and -S are "no -c"', () => {
  assert.equal(reasonOf(['a.c', '-o', 'prog']), 'no -c (linking or other)');
  assert.equal(reasonOf(['a.o', 'b.o', '-o', 'prog']), 'no -c (linking or other)');
  assert.equal(reasonOf(['-S', 'a.c']), 'no -c (linking or other)');
  assert.equal(reasonOf(['-c', '-S', 'a.c']), 'no -c (linking or other)');
  assert.equal(reasonOf(['--assemble', '-c', 'a.c']), 'no -c (linking or other)');
});

test('-E is preprocess only, also with -c', () => {
  assert.equal(reasonOf(['-E', 'a.c']), 'preprocess only (-E)');
  assert.equal(reasonOf(['-c', 'a.c', '-E']), 'preprocess only (-E)');
  assert.equal(reasonOf(['-c', 'a.c', '--preprocess']), 'preprocess only (-E)');
});

test('-M/-MM: dependencies only, with or without -MD/-MMD', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-M']), 'dependencies only (-M/-MM without -MD/-MMD)');
  assert.equal(reasonOf(['-c', 'a.c', '-MM', '-MF', 'a.d']), 'dependencies only (-M/-MM without -MD/-MMD)');
  // gcc 12 and clang 14 write only a.d here (and an empty x.o for -MM -MMD -o x.o)
  assert.equal(reasonOf(['-c', 'a.c', '-M', '-MD']), 'dependencies only (-M/-MM)');
  assert.equal(reasonOf(['-c', 'a.c', '-MMD', '-MM']), 'dependencies only (-M/-MM)');
});

test('input count: none, several, stdin', () => {
  assert.equal(reasonOf(['-c', '-O2']), 'no input file');
  assert.equal(reasonOf(['-c', 'a.c', 'b.c']), 'multiple input files');
  assert.equal(reasonOf(['-c', '-x', 'c', '-']), 'input from stdin');
  // an unknown flag's separate value is taken as an input: safe, the call is not cached
  assert.equal(reasonOf(['-c', 'a.c', '--unknown-with-value', 'v']), 'multiple input files');
});

test('-save-temps in every form', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-save-temps']), '-save-temps');
  assert.equal(reasonOf(['-c', 'a.c', '-save-temps=obj']), '-save-temps');
  assert.equal(reasonOf(['-c', 'a.c', '--save-temps']), '-save-temps');
});

test('output to stdout and to /dev/null', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-o', '-']), 'output to stdout (-o -)');
  assert.equal(reasonOf(['-c', 'a.c', '-o', '/dev/null']), 'output to /dev/null');
  assert.equal(reasonOf(['-c', 'a.c', '-o/dev/null']), 'output to /dev/null');
});

test('-fsyntax-only', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-fsyntax-only']), 'syntax only (-fsyntax-only)');
});

test('profile generation/use in any form', () => {
  const flags = [
    '-fprofile-generate',
    '-fprofile-generate=dir',
    '-fprofile-use',
    '-fprofile-use=x.profdata',
    '-fauto-profile',
    '-fauto-profile=a.afdo',
    '-fprofile-dir=/p',
    '-fbranch-probabilities',
  ];
  for (const flag of flags) assert.equal(reasonOf(['-c', 'a.c', flag]), 'profile generation/use without fixed path', flag);
  const clangFlags = [
    '-fprofile-instr-generate',
    '-fprofile-instr-generate=a.profraw',
    '-fprofile-instr-use=a.profdata',
    '-fprofile-sample-use=a.prof',
    '-fcs-profile-generate',
  ];
  for (const flag of clangFlags) assert.equal(reasonOf(['-c', 'a.c', flag], 'clang'), 'profile generation/use without fixed path', flag);
  // same-prefix flags that do not read or write profiles stay cacheable
  assert.equal(reasonOf(['-c', 'a.c', '-fprofile-update=atomic', '-fprofile-abs-path']), 'cacheable');
});

test('more than one -arch (clang)', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-arch', 'x86_64', '-arch', 'arm64'], 'clang'), 'multiple -arch');
  assert.deepEqual(cacheable(['-c', 'a.c', '-arch', 'x86_64'], 'clang').keyArgs, ['-arch', 'x86_64']);
});

test('a flag that needs a separate value but is last: missing argument', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-o']), 'missing argument');
  assert.equal(reasonOf(['-c', 'a.c', '-I']), 'missing argument');
  assert.equal(reasonOf(['-c', 'a.c', '-MD', '-MF']), 'missing argument');
  assert.equal(reasonOf(['-c', 'a.c', '-x']), 'missing argument');
  assert.equal(reasonOf(['-c', 'a.c', '-Xclang'], 'clang'), 'missing argument');
});

test('-Wp, and -Xpreprocessor carrying anything but -D/-U/-I are unsupported, with the flag text', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-Wp,-MD,a.d']), 'unsupported flag -Wp,-MD,a.d');
  assert.equal(reasonOf(['-c', 'a.c', '-Wp,-MMD,obj/a.d']), 'unsupported flag -Wp,-MMD,obj/a.d');
  assert.equal(reasonOf(['-c', 'a.c', '-Wp,-DX,-MD,a.d']), 'unsupported flag -Wp,-DX,-MD,a.d');
  assert.equal(reasonOf(['-c', 'a.c', '-Xpreprocessor', '-MD']), 'unsupported flag -Xpreprocessor -MD');
  assert.equal(reasonOf(['-c', 'a.c', '-Wp,-D']), 'unsupported flag -Wp,-D');
});

test('-Xclang with anything is unsupported (clang)', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-Xclang', '-fno-pch-timestamp'], 'clang'), 'unsupported flag -Xclang -fno-pch-timestamp');
});

test('modules, -ftime-trace and --serialize-diagnostics are unsupported', () => {
  assert.equal(reasonOf(['-c', 'a.cpp', '-fmodules'], 'clang'), 'unsupported flag -fmodules');
  assert.equal(reasonOf(['-c', 'a.cpp', '-fcxx-modules'], 'clang'), 'unsupported flag -fcxx-modules');
  assert.equal(reasonOf(['-c', 'a.cpp', '-fmodules-ts']), 'unsupported flag -fmodules-ts');
  assert.equal(reasonOf(['-c', 'a.cpp', '-fmodules-ts'], 'clang'), 'unsupported flag -fmodules-ts');
  assert.equal(reasonOf(['-c', 'a.c', '-ftime-trace'], 'clang'), 'unsupported flag -ftime-trace');
  assert.equal(reasonOf(['-c', 'a.c', '-ftime-trace=t.json'], 'clang'), 'unsupported flag -ftime-trace=t.json');
  assert.equal(reasonOf(['-c', 'a.c', '-ftime-trace-granularity=100'], 'clang'), 'cacheable');
  assert.equal(reasonOf(['-c', 'a.c', '--serialize-diagnostics', 'a.dia'], 'clang'), 'unsupported flag --serialize-diagnostics a.dia');
  // gcc does not know -fmodules: an unknown flag, the compiler reports it
  assert.equal(reasonOf(['-c', 'a.c', '-fmodules'], 'gcc'), 'cacheable');
});

test('flags that write extra files are unsupported; their stderr forms are fine', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-fdump-tree-all']), 'unsupported flag -fdump-tree-all');
  assert.equal(reasonOf(['-c', 'a.c', '-fdump-rtl-expand']), 'unsupported flag -fdump-rtl-expand');
  assert.equal(reasonOf(['-c', 'a.c', '-fcallgraph-info']), 'unsupported flag -fcallgraph-info');
  assert.equal(reasonOf(['-c', 'a.c', '-fcallgraph-info=su,da']), 'unsupported flag -fcallgraph-info=su,da');
  assert.equal(reasonOf(['-c', 'a.c', '-fstack-usage']), 'unsupported flag -fstack-usage');
  assert.equal(reasonOf(['-c', 'a.c', '-aux-info', 'a.aux']), 'unsupported flag -aux-info a.aux');
  assert.equal(reasonOf(['-c', 'a.c', '-fopt-info-vec-missed=vec.txt']), 'unsupported flag -fopt-info-vec-missed=vec.txt');
  assert.equal(reasonOf(['-c', 'a.c', '-fopt-info-vec-missed']), 'cacheable');
  assert.equal(reasonOf(['-c', 'a.c', '-fopt-info']), 'cacheable');
  assert.equal(reasonOf(['-c', 'a.c', '-Wa,-adhln=a.lst']), 'unsupported flag -Wa,-adhln=a.lst');
  assert.equal(reasonOf(['-c', 'a.c', '-dumpdir', 'xx-']), 'unsupported flag -dumpdir xx-');
  assert.equal(reasonOf(['-c', 'a.c', '-frecord-gcc-switches', '-specs=my.specs', '-H']), 'cacheable');
  assert.equal(reasonOf(['-c', 'a.c', '-fdump-noaddr']), 'cacheable');
});

test('driver queries compile nothing', () => {
  assert.equal(reasonOf(['-c', 'a.c', '--version']), 'unsupported flag --version');
  assert.equal(reasonOf(['-c', 'a.c', '-###']), 'unsupported flag -###');
  assert.equal(reasonOf(['-c', 'a.c', '-print-file-name=libc.so']), 'unsupported flag -print-file-name=libc.so');
});

test('the first uncacheable flag decides the reason', () => {
  assert.equal(reasonOf(['-c', 'a.c', '-fsyntax-only', '-E']), 'syntax only (-fsyntax-only)');
  assert.equal(reasonOf(['-E', '-c', 'a.c', 'b.c']), 'preprocess only (-E)');
});

// --- preprocessor-only flags -----------------------------------------------------------------

test('preprocessor-only flags go to the -E run but not the key, in both shapes', () => {
  const args = [
    '-I',
    'inc',
    '-Iinc2',
    '-isystem',
    'sys',
    '-isystemsys2',
    '-iquote',
    'q',
    '-idirafter',
    'after',
    '-iprefix',
    'pre/',
    '-iwithprefix',
    'wp',
    '-iwithprefixbefore',
    'wpb',
    '-isysroot',
    '/sdk',
    '-include',
    'config.h',
    '-imacros',
    'macros.h',
    '-D',
    'A=1',
    '-DB',
    '-U',
    'C',
    '-UD',
    '-nostdinc',
    '-nostdinc++',
    '-undef',
    '-trigraphs',
  ];
  const parsed = cacheable(['-c', 'a.c', '-O1', ...args]);
  assert.deepEqual(parsed.preprocessorArgs, ['-O1', ...args]);
  assert.deepEqual(parsed.keyArgs, ['-O1']);
  assert.equal(parsed.inputFile, 'a.c');
});

test('-Wp, and -Xpreprocessor with only -D/-U/-I are preprocessor-only', () => {
  const parsed = cacheable(['-c', 'a.c', '-Wp,-DX=1,-UY,-Iinc', '-Wp,-I,dir', '-Xpreprocessor', '-DZ']);
  assert.deepEqual(parsed.preprocessorArgs, ['-Wp,-DX=1,-UY,-Iinc', '-Wp,-I,dir', '-Xpreprocessor', '-DZ']);
  assert.deepEqual(parsed.keyArgs, []);
});

test('--sysroot stays common; -isysroot is preprocessor-only', () => {
  const parsed = cacheable(['-c', 'a.c', '--sysroot=/sr', '--sysroot', '/sr2', '-isysroot', '/sdk']);
  assert.deepEqual(parsed.keyArgs, ['--sysroot=/sr', '--sysroot', '/sr2']);
  assert.deepEqual(parsed.preprocessorArgs, ['--sysroot=/sr', '--sysroot', '/sr2', '-isysroot', '/sdk']);
});

test('-H is common: it runs and its stderr is cached', () => {
  assert.deepEqual(cacheable(['-c', 'a.c', '-H']).keyArgs, ['-H']);
});

// --- dependency files -------------------------------------------------------------------------

test('-MD with -o derives the .d path from the object (strip the last suffix, add .d)', () => {
  assert.equal(cacheable(['-c', 'sub/a.c', '-o', 'obj/a.o', '-MD']).outputs.depFile, 'obj/a.d');
  assert.equal(cacheable(['-c', 'sub/a.c', '-o', 'a.obj', '-MD']).outputs.depFile, 'a.d');
  assert.equal(cacheable(['-c', 'sub/a.c', '-o', 'x', '-MMD']).outputs.depFile, 'x.d');
  assert.equal(cacheable(['-c', 'sub/a.c', '-o', 'out/a.b.o', '-MD']).outputs.depFile, 'out/a.b.d');
  assert.equal(cacheable(['-c', 'sub/a.c', '-o', 'out.dir/a', '-MD']).outputs.depFile, 'out.dir/a.d');
  assert.equal(cacheable(['-c', 'sub/a.c', '-o', '/abs/out/a.o', '-MD']).outputs.depFile, '/abs/out/a.d');
});

test('-MD without -o puts the .d beside the default object, in the cwd', () => {
  assert.equal(cacheable(['-c', 'sub/a.c', '-MD']).outputs.depFile, 'a.d');
  assert.equal(cacheable(['-c', 'sub/a.cpp', '-MMD'], 'clang').outputs.depFile, 'a.d');
});

test('-MF names the dependency file, separate or attached, last one wins', () => {
  assert.equal(cacheable(['-c', 'a.c', '-o', 'obj/a.o', '-MD', '-MF', 'deps/a.dep']).outputs.depFile, 'deps/a.dep');
  assert.equal(cacheable(['-c', 'a.c', '-MMD', '-MFdeps/b.d']).outputs.depFile, 'deps/b.d');
  assert.equal(cacheable(['-c', 'a.c', '-MMD', '-MF', 'one.d', '-MF', 'two.d']).outputs.depFile, 'two.d');
});

test('dependency flags are collected with their values and kept out of both runs', () => {
  const parsed = cacheable(['-c', 'a.c', '-MD', '-MF', 'a.d', '-MT', 'a.o', '-MQ', '$(obj)', '-MTb.o', '-MQc.o', '-MP', '-MG']);
  assert.deepEqual(parsed.dependencyArgs, ['-MD', '-MF', 'a.d', '-MT', 'a.o', '-MQ', '$(obj)', '-MTb.o', '-MQc.o', '-MP', '-MG']);
  assert.deepEqual(parsed.preprocessorArgs, []);
  assert.deepEqual(parsed.keyArgs, []);
});

test('no dependency file without -MD/-MMD, even with -MF', () => {
  const parsed = cacheable(['-c', 'a.c', '-MF', 'a.d', '-MP']);
  assert.equal(parsed.outputs.depFile, undefined);
  assert.deepEqual(parsed.dependencyArgs, ['-MF', 'a.d', '-MP']);
});

test('-MF /dev/null: the compile writes it, the cache never restores it', () => {
  const parsed = cacheable(['-c', 'a.c', '-MD', '-MF', '/dev/null']);
  assert.deepEqual(parsed.outputs, { object: 'a.o' });
});

test('long spellings are synonyms: --write-dependencies, --output=, --compile, --language=', () => {
  const parsed = cacheable([
    '--compile',
    '--language=c',
    'x.txt',
    '--output=obj/x.o',
    '--write-dependencies',
    '--include-directory=inc',
    '--define-macro',
    'A',
  ]);
  assert.deepEqual(parsed.outputs, { object: 'obj/x.o', depFile: 'obj/x.d' });
  assert.equal(parsed.language, 'c');
  assert.deepEqual(parsed.preprocessorArgs, ['--include-directory=inc', '--define-macro', 'A']);
  assert.deepEqual(parsed.keyArgs, []);
});

// --- output naming -------------------------------------------------------------------------------

test('-o in separate and attached form; the last -o wins', () => {
  assert.equal(cacheable(['-c', 'a.c', '-o', 'obj/a.o']).outputs.object, 'obj/a.o');
  assert.equal(cacheable(['-c', 'a.c', '-oobj/b.o']).outputs.object, 'obj/b.o');
  assert.equal(cacheable(['-c', 'a.c', '-o', 'x.o', '-o', 'y.o']).outputs.object, 'y.o');
});

test('default object: basename of the input with its suffix replaced by .o, in the cwd', () => {
  assert.deepEqual(cacheable(['-c', 'src/dir/a.c']).outputs, { object: 'a.o' });
  assert.equal(cacheable(['-c', '../x/b.cpp']).outputs.object, 'b.o');
  assert.equal(cacheable(['-c', 'src.d/c.tar.c']).outputs.object, 'c.tar.o');
  assert.equal(cacheable(['-c', '-x', 'c', 'noext']).outputs.object, 'noext.o');
});

test('a leading-dot basename: gcc keeps it in names, clang treats it as a suffix', () => {
  assert.deepEqual(cacheable(['-c', '-x', 'c', '.foo', '-MD', '--coverage', '-gsplit-dwarf', '-g'], 'gcc').outputs, {
    object: '.foo.o',
    depFile: '.foo.d',
    dwo: '.foo.dwo',
    gcno: '.foo.gcno',
  });
  assert.deepEqual(cacheable(['-c', '-x', 'c', '.foo', '-MD', '--coverage', '-gsplit-dwarf', '-g'], 'clang').outputs, {
    object: '.o',
    depFile: '.d',
    dwo: '.dwo',
    gcno: '.gcno',
  });
  assert.deepEqual(cacheable(['-c', 'a.c', '-o', 'out/.hid', '-MD', '--coverage', '-gsplit-dwarf', '-g'], 'gcc').outputs, {
    object: 'out/.hid',
    depFile: 'out/.d',
    dwo: 'out/.hid.dwo',
    gcno: 'out/.hid.gcno',
  });
  assert.deepEqual(cacheable(['-c', 'a.c', '-o', 'out/.hid', '-MD', '--coverage', '-gsplit-dwarf', '-g'], 'clang').outputs, {
    object: 'out/.hid',
    depFile: 'out/.d',
    dwo: 'out/.dwo',
    gcno: 'out/.gcno',
  });
});

test('replaceSuffix only looks at the basename', () => {
  assert.equal(replaceSuffix('a.b/c', '.d', true), 'a.b/c.d');
  assert.equal(replaceSuffix('a.b/c.o', '.d', true), 'a.b/c.d');
  assert.equal(replaceSuffix('dir/.o', '.d', false), 'dir/.o.d');
  assert.equal(replaceSuffix('dir/.o', '.d', true), 'dir/.d');
});

// --- split DWARF -------------------------------------------------------------------------------

test('-gsplit-dwarf: .dwo named after the object (gcc writes it even without -g)', () => {
  const parsed = cacheable(['-c', 'sub/a.c', '-o', 'out/a.o', '-g', '-gsplit-dwarf']);
  assert.equal(parsed.outputs.dwo, 'out/a.dwo');
  assert.equal(parsed.splitDwarf, true);
  assert.equal(cacheable(['-c', 'sub/a.c', '-g', '-gsplit-dwarf']).outputs.dwo, 'a.dwo');
  assert.equal(cacheable(['-c', 'a.c', '-o', 'out/x', '-gsplit-dwarf']).outputs.dwo, 'out/x.dwo');
  assert.equal(cacheable(['-c', 'a.c', '-o', 'out/a.b.o', '-gsplit-dwarf']).outputs.dwo, 'out/a.b.dwo');
  const noDebug = cacheable(['-c', 'a.c', '-gsplit-dwarf', '-g0']);
  assert.equal(noDebug.outputs.dwo, 'a.dwo');
  assert.equal(noDebug.debugInfo, false);
});

test('-gno-split-dwarf cancels an earlier -gsplit-dwarf', () => {
  const parsed = cacheable(['-c', 'a.c', '-g', '-gsplit-dwarf', '-gno-split-dwarf']);
  assert.equal(parsed.outputs.dwo, undefined);
  assert.equal(parsed.splitDwarf, false);
});

test('clang writes a .dwo only with debug info on, and not for -gsplit-dwarf=single', () => {
  assert.equal(cacheable(['-c', 'a.c', '-o', 'o/a.o', '-gsplit-dwarf'], 'clang').outputs.dwo, undefined);
  assert.equal(cacheable(['-c', 'a.c', '-o', 'o/a.o', '-gsplit-dwarf', '-g0'], 'clang').splitDwarf, false);
  assert.equal(cacheable(['-c', 'a.c', '-o', 'o/a.o', '-gsplit-dwarf', '-g1'], 'clang').outputs.dwo, 'o/a.dwo');
  assert.equal(cacheable(['-c', 'a.c', '-o', 'o/a.o', '-g', '-gsplit-dwarf=split'], 'clang').outputs.dwo, 'o/a.dwo');
  assert.equal(cacheable(['-c', 'a.c', '-o', 'o/a.o', '-g', '-gsplit-dwarf=split', '-gsplit-dwarf=single'], 'clang').outputs.dwo, undefined);
});

// --- coverage ------------------------------------------------------------------------------------

test('--coverage writes a .gcno named after the object', () => {
  const parsed = cacheable(['-c', 'sub/a.c', '-o', 'out/a.o', '--coverage']);
  assert.equal(parsed.outputs.gcno, 'out/a.gcno');
  assert.equal(parsed.coverage, true);
  assert.equal(cacheable(['-c', 'sub/a.c', '--coverage']).outputs.gcno, 'a.gcno');
  assert.equal(cacheable(['-c', 'sub/a.c', '-o', 'out/x', '--coverage'], 'clang').outputs.gcno, 'out/x.gcno');
  assert.equal(cacheable(['-c', 'a.c', '-o', 'out/a.b.o', '-ftest-coverage']).outputs.gcno, 'out/a.b.gcno');
});

test('-fprofile-arcs alone sets coverage but writes no .gcno', () => {
  const parsed = cacheable(['-c', 'a.c', '-fprofile-arcs']);
  assert.equal(parsed.coverage, true);
  assert.equal(parsed.outputs.gcno, undefined);
});

test('-fno-test-coverage: last of -ftest-coverage/-fno- wins, --coverage always writes a .gcno', () => {
  assert.equal(cacheable(['-c', 'a.c', '-ftest-coverage', '-fno-test-coverage']).outputs.gcno, undefined);
  assert.equal(cacheable(['-c', 'a.c', '-fno-test-coverage', '-ftest-coverage']).outputs.gcno, 'a.gcno');
  assert.equal(cacheable(['-c', 'a.c', '--coverage', '-fno-test-coverage']).outputs.gcno, 'a.gcno');
  assert.equal(cacheable(['-c', 'a.c']).coverage, false);
});

// --- debug info --------------------------------------------------------------------------------

test('debugInfo: any -g level or format turns it on, a later -g0 turns it off', () => {
  for (const flag of ['-g', '-g1', '-g3', '-ggdb', '-ggdb3', '-gdwarf', '-gdwarf-4', '-gdwarf-5']) {
    assert.equal(cacheable(['-c', 'a.c', flag]).debugInfo, true, flag);
  }
  assert.equal(cacheable(['-c', 'a.c', '-g', '-g0']).debugInfo, false);
  assert.equal(cacheable(['-c', 'a.c', '-g0', '-g1']).debugInfo, true);
  assert.equal(cacheable(['-c', 'a.c', '-ggdb3', '-ggdb0']).debugInfo, false);
  assert.equal(cacheable(['-c', 'a.c', '-gline-tables-only'], 'clang').debugInfo, true);
  assert.equal(cacheable(['-c', 'a.c']).debugInfo, false);
});

test('debugInfo: -g flags that only tune debug info do not turn it on', () => {
  for (const flag of ['-gz', '-gz=zlib', '-gcolumn-info', '-gno-column-info', '-gstrict-dwarf', '-grecord-gcc-switches', '-gpubnames', '-gsplit-dwarf']) {
    assert.equal(cacheable(['-c', 'a.c', flag]).debugInfo, false, flag);
  }
  assert.equal(cacheable(['-c', 'a.c', '-g', '-gz']).debugInfo, true);
});

test('gcc -gtoggle flips the final state wherever it stands', () => {
  assert.equal(cacheable(['-c', 'a.c', '-gtoggle']).debugInfo, true);
  assert.equal(cacheable(['-c', 'a.c', '-gtoggle', '-g']).debugInfo, false);
});

test('assembler debug options via -Wa, turn debugInfo on', () => {
  assert.equal(cacheable(['-c', 'a.S', '-Wa,--gdwarf-5']).debugInfo, true);
  assert.equal(cacheable(['-c', 'a.S', '-Wa,-g']).debugInfo, true);
});

// --- colour --------------------------------------------------------------------------------------

test('colour flags: never in the key nor the -E run, kept in expandedArgs, last one wins', () => {
  const cases: [string[], CompilerFamily, string][] = [
    [[], 'gcc', 'auto'],
    [['-fdiagnostics-color'], 'gcc', 'always'],
    [['-fdiagnostics-color=always'], 'gcc', 'always'],
    [['-fdiagnostics-color=never'], 'gcc', 'never'],
    [['-fdiagnostics-color=auto'], 'gcc', 'auto'],
    [['-fno-diagnostics-color'], 'gcc', 'never'],
    [['-fdiagnostics-color=never', '-fdiagnostics-color'], 'gcc', 'always'],
    [['-fcolor-diagnostics'], 'clang', 'always'],
    [['-fcolor-diagnostics', '-fno-color-diagnostics'], 'clang', 'never'],
    [['-fno-color-diagnostics', '-fdiagnostics-color=auto'], 'clang', 'auto'],
  ];
  for (const [flags, family, color] of cases) {
    const args = ['-c', 'a.c', ...flags];
    const parsed = cacheable(args, family);
    assert.equal(parsed.color, color, flags.join(' '));
    assert.deepEqual(parsed.keyArgs, []);
    assert.deepEqual(parsed.preprocessorArgs, []);
    assert.deepEqual(parsed.expandedArgs, args);
  }
});

// --- language --------------------------------------------------------------------------------

test('language from the extension', () => {
  const cases: [string, string][] = [
    ['a.c', 'c'],
    ['a.cc', 'c++'],
    ['a.cp', 'c++'],
    ['a.cxx', 'c++'],
    ['a.cpp', 'c++'],
    ['a.CPP', 'c++'],
    ['a.c++', 'c++'],
    ['a.C', 'c++'],
    ['a.m', 'objective-c'],
    ['a.mm', 'objective-c++'],
    ['a.M', 'objective-c++'],
    ['a.S', 'assembler-with-cpp'],
    ['a.sx', 'assembler-with-cpp'],
  ];
  for (const [file, language] of cases) assert.equal(cacheable(['-c', file]).language, language, file);
});

test('unsupported languages and header inputs', () => {
  for (const file of ['a.s', 'a.i', 'a.ii', 'a.f90', 'a.o', 'noext', 'dir.c/x']) assert.equal(reasonOf(['-c', file]), 'unsupported language', file);
  for (const file of ['a.h', 'a.hpp', 'a.hh', 'a.H']) assert.equal(reasonOf(['-c', file]), 'precompiled header output', file);
  assert.deepEqual(languageFromExtension('x.c'), { ok: true, language: 'c' });
});

test('-x before the input overrides the extension; -x none resets; -x after the input does nothing', () => {
  const parsed = cacheable(['-c', '-x', 'c++', 'a.c', '-O2']);
  assert.equal(parsed.language, 'c++');
  assert.equal(parsed.explicitLanguage, true);
  assert.deepEqual(parsed.keyArgs, ['-O2'], '-x goes in the key only as the resolved language');
  assert.deepEqual(parsed.preprocessorArgs, ['-O2']);
  assert.equal(cacheable(['-c', '-xobjective-c', 'a.txt']).language, 'objective-c');
  const reset = cacheable(['-c', '-x', 'c++', '-x', 'none', 'a.c']);
  assert.equal(reset.language, 'c');
  assert.equal(reset.explicitLanguage, false);
  const after = cacheable(['-c', 'a.c', '-x', 'c++']);
  assert.equal(after.language, 'c');
  assert.equal(after.explicitLanguage, false);
  assert.equal(cacheable(['-c', '-x', 'assembler-with-cpp', 'a.asm']).language, 'assembler-with-cpp');
});

test('-x values: unsupported ones and header languages', () => {
  assert.equal(reasonOf(['-c', '-x', 'assembler', 'a.S']), 'unsupported language');
  assert.equal(reasonOf(['-c', '-x', 'cpp-output', 'a.c']), 'unsupported language');
  assert.equal(reasonOf(['-c', '-x', 'c-header', 'a.c']), 'precompiled header output');
  assert.equal(reasonOf(['-c', '-x', 'c++-header', 'a.cpp']), 'precompiled header output');
  assert.deepEqual(resolveLanguage('a.h', 'c'), { ok: true, language: 'c' });
});

// --- response files ------------------------------------------------------------------------------

test('response file quoting matches gcc 12 / clang 14', () => {
  // the same text was given to both compilers with -E -dM: these are the macros they defined
  const text = `-DA="x y"   -DB='p q' -DC=a\\ b -DD=\\"s\\" -DE='it\\'s' -DF="a\\"b" -DG=un"quo ted"tail\n-DH='' -DI=back\\\\slash\n'-DJ=1'\n-DK=line\\\ncont\n`;
  assert.deepEqual(tokenizeResponseFile(text), [
    '-DA=x y',
    '-DB=p q',
    '-DC=a b',
    '-DD="s"',
    "-DE=it's",
    '-DF=a"b',
    '-DG=unquo tedtail',
    '-DH=',
    '-DI=back\\slash',
    '-DJ=1',
    '-DK=line\ncont',
  ]);
  assert.deepEqual(tokenizeResponseFile(" '' x\t\r\n"), ['', 'x']);
  assert.deepEqual(tokenizeResponseFile(''), []);
});

test('@file arguments are expanded in place, nested files relative to the cwd', () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'rsp', 'inner'), { recursive: true });
    mkdirSync(join(dir, 'inner'));
    writeFileSync(join(dir, 'rsp', 'outer.rsp'), '-O2 @inner/i.rsp "-DX=a b"\n');
    writeFileSync(join(dir, 'inner', 'i.rsp'), '-Iinc -c');
    writeFileSync(join(dir, 'rsp', 'inner', 'i.rsp'), '-DWRONG_DIRECTORY');
    const parsed = cacheable(['-MD', '@rsp/outer.rsp', 'a.c'], 'gcc', dir);
    assert.deepEqual(parsed.expandedArgs, ['-MD', '-O2', '-Iinc', '-c', '-DX=a b', 'a.c']);
    assert.deepEqual(parsed.keyArgs, ['-O2']);
    assert.deepEqual(parsed.preprocessorArgs, ['-O2', '-Iinc', '-DX=a b']);
    // an absolute name works from anywhere
    assert.deepEqual(expandResponseFiles(['@' + join(dir, 'inner', 'i.rsp')], '/'), { ok: true, args: ['-Iinc', '-c'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing, unreadable or self-including response file is not cacheable', () => {
  const dir = tempDir();
  try {
    assert.equal(reasonOf(['-c', 'a.c', '@missing.rsp'], 'gcc', dir), 'unreadable response file');
    assert.equal(reasonOf(['-c', 'a.c', '@'], 'gcc', dir), 'unreadable response file');
    mkdirSync(join(dir, 'adir'));
    assert.equal(reasonOf(['-c', 'a.c', '@adir'], 'gcc', dir), 'unreadable response file');
    writeFileSync(join(dir, 'loop.rsp'), '-O2 @loop.rsp');
    assert.equal(reasonOf(['-c', 'a.c', '@loop.rsp'], 'gcc', dir), 'unreadable response file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without @ arguments the argument array is used as is', () => {
  const args = ['-c', 'a.c'];
  assert.equal(cacheable(args).expandedArgs, args);
});

// --- cross-check against the real compilers ----------------------------------------------------

function hasCompiler(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Every file under `dir`, relative to it. */
function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

const CROSS_CHECKS: string[][] = [
  ['-c', 'sub/a.c', '-o', 'out/a.o', '-MD'],
  ['-c', 'sub/a.c', '-MMD'],
  ['-c', 'sub/a.c', '-o', 'out/x', '-MD', '-MF', 'out/dep.d'],
  ['-c', 'sub/a.c', '-o', 'out/a.b.o', '-MD', '-g', '-gsplit-dwarf', '--coverage'],
  ['-c', 'sub/a.c', '-o', 'out/x', '-gsplit-dwarf'],
  ['-c', 'sub/a.c', '-gsplit-dwarf', '-g1'],
  ['-c', 'sub/a.c', '-o', 'out/a.o', '-g', '-gsplit-dwarf', '-gno-split-dwarf'],
  ['-c', 'sub/a.c', '-o', 'out/a.o', '-ftest-coverage'],
  ['-c', 'sub/a.c', '-o', 'out/a.o', '-fprofile-arcs'],
  ['-c', 'sub/a.c', '-o', 'out/a.o', '--coverage', '-fno-test-coverage'],
  ['-c', 'sub/a.c', '-o', 'out/.hid', '-MD', '--coverage', '-g', '-gsplit-dwarf'],
  ['-c', '-x', 'c', 'sub/.foo', '-MD', '--coverage', '-g', '-gsplit-dwarf'],
];

for (const [family, compiler] of [
  ['gcc', 'gcc'],
  ['clang', 'clang'],
] as const) {
  test(`derived output names match what ${compiler} writes`, { skip: !hasCompiler(compiler) && `${compiler} not installed` }, () => {
    for (const args of CROSS_CHECKS) {
      const dir = tempDir();
      try {
        mkdirSync(join(dir, 'sub'));
        mkdirSync(join(dir, 'out'));
        writeFileSync(join(dir, 'sub', 'a.c'), 'int f(void) { return 1; }\n');
        writeFileSync(join(dir, 'sub', '.foo'), 'int g(void) { return 2; }\n');
        const parsed = cacheable(args, family, dir);
        execFileSync(compiler, args, { cwd: dir, stdio: 'ignore' });
        const written = listFiles(dir)
          .filter((file) => !file.startsWith('sub/'))
          .sort();
        const expected = Object.values(parsed.outputs).sort();
        assert.deepEqual(written, expected, `${compiler} ${args.join(' ')}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
}
