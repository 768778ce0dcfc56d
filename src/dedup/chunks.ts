// Loops over every entry or inode of a data root run in calls of CHUNK items. A function that
// runs once per layer or once per run over ~120k items is optimised only by on-stack replacement,
// well into its loop, and runs in the interpreter or baseline code until then; called once per
// 1,024 items it gets its feedback and optimised code early (docs/dedup.md, "Speed, eighth pass"
// and "tenth pass").
export const CHUNK = 1024;
