// The metrics toolkit: built-in names, HDR helpers, the per-process recorder and the merge.
export * from './names';
export * from './hdr';
export * from './recorder';
export * from './merge';
