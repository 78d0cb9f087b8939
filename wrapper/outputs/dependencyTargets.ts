// The target of a compile's dependency file (-MD/-MMD): the first rule's left side, the object
// path or the -MT/-MQ values. It is all that differs between the .d files of one source built
// for several targets (CMake's Makefile generator: `-MD -MT x.o -MF x.o.d ... -o x.o`), so a
// stored .d leaves it out and a hit writes the requesting compile's own. The key then needs
// neither the object path nor the target and file flags, and such compiles share one result
// (ccache does the same). Only targets made of characters that no make quoting touches are cut
// this way; others keep the whole dependency command line in the key, and the .d as it is.

import type { CacheableCompile } from '../compilers/types';

/** -MT/-MQ name the target; -MF names the file (its name is not in the content) */
const TARGET_FLAGS = ['-MT', '-MQ'];
const NAMING_FLAGS = [...TARGET_FLAGS, '-MF'];
/** what gcc and clang write unquoted for both -MT and -MQ; a leading ./ gcc drops from the
 *  object path and clang keeps, so it is not plain */
const PLAIN = /^(?!\.\/)[A-Za-z0-9_./+,@=~-]+$/;

/** the target flags' values, in order */
function targets(dependencyArgs: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < dependencyArgs.length; i++) {
    const arg = dependencyArgs[i]!;
    const flag = TARGET_FLAGS.find((name) => arg.startsWith(name));
    if (!flag) continue;
    const value = arg.length > flag.length ? arg.slice(flag.length) : dependencyArgs[++i];
    if (value !== undefined) values.push(value);
  }
  return values;
}

/** The target text the compiler writes at the start of the .d, when plain; undefined when
 *  make quoting could change it (the .d is then stored whole and keyed by its flags). */
export function plainDependencyTarget(compile: Pick<CacheableCompile, 'dependencyArgs' | 'outputs'>): string | undefined {
  const named = targets(compile.dependencyArgs);
  const all = named.length ? named : [compile.outputs.object];
  return all.every((target) => PLAIN.test(target)) ? all.join(' ') : undefined;
}

/** The dependency flags without the target and file names (what the key holds instead). */
export function unnamedDependencyArgs(dependencyArgs: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < dependencyArgs.length; i++) {
    const arg = dependencyArgs[i]!;
    const flag = NAMING_FLAGS.find((name) => arg.startsWith(name));
    if (!flag) kept.push(arg);
    else if (arg === flag) i++; // its value is the next word
  }
  return kept;
}

/** The .d without its target (from the ':' on); undefined when it does not start with it. */
export function withoutTarget(content: Buffer, target: string): Buffer | undefined {
  const prefix = Buffer.from(`${target}:`);
  return content.subarray(0, prefix.length).equals(prefix) ? content.subarray(target.length) : undefined;
}

/** A stored .d given the requesting compile's target. */
export function withTarget(stored: Buffer, target: string): Buffer {
  return Buffer.concat([Buffer.from(target), stored]);
}

type OutputFiles = { role: string; data: Buffer }[];

/** A compile's outputs as stored: a .d with a plain target without it. Undefined when the .d
 *  does not start with the target expected (then nothing is stored). */
export function storedOutputs<T extends OutputFiles>(compile: Pick<CacheableCompile, 'dependencyArgs' | 'outputs'>, files: T): T | undefined {
  const target = plainDependencyTarget(compile);
  if (target === undefined || !compile.outputs.depFile) return files;
  const stored = files.map((file) => {
    if (file.role !== 'depFile') return file;
    const data = withoutTarget(file.data, target);
    return data && { ...file, data };
  });
  return stored.every((file) => file !== undefined) ? (stored as T) : undefined;
}

/** Stored outputs as this compile writes them: its own target in front of a cut .d. */
export function restoredOutputs<T extends OutputFiles>(compile: Pick<CacheableCompile, 'dependencyArgs' | 'outputs'>, files: T): T {
  const target = plainDependencyTarget(compile);
  if (target === undefined || !compile.outputs.depFile) return files;
  return files.map((file) => (file.role === 'depFile' ? { ...file, data: withTarget(file.data, target) } : file)) as T;
}
