/**
 * A manifest's constants on the embedded runtime: tensors the gateway itself feeds to the functions of every
 * request (the client never sends them). They exist from the start of a run, so a function reading only model
 * inputs and constants is where a request enters the chain.
 */
import { tensorsFromValues } from '../codec/index.js';
import type { Manifest } from '../partition/index.js';
import { CodecChooser, encodeTensor, type WireTensor } from './wire.js';

/**
 * The constants as wire tensors, encoded once per model load. Raw, never a shared-memory segment: the IPC
 * message copies them into each call, while a segment is removed with its request.
 */
export function constantWires(m: Pick<Manifest, 'constants'>): Record<string, WireTensor> {
  const chooser = new CodecChooser();
  return Object.fromEntries(Object.entries(tensorsFromValues(m.constants)).map(([k, t]) => [k, encodeTensor(k, t, { enc: 'raw' }, chooser).wire]));
}

/** Functions that read only model inputs and constants: where a request enters the chain (and may be refused, 429). */
export function entryFunctions(m: Pick<Manifest, 'inputs' | 'constants' | 'functions'>): Set<string> {
  const given = new Set([...m.inputs, ...Object.keys(m.constants ?? {})]);
  return new Set(m.functions.filter((f) => f.inputs.every((i) => given.has(i))).map((f) => f.name));
}
