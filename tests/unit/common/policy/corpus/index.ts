/** The escape corpus, grouped by class. */
import { ABBREVIATIONS } from "./abbreviations";
import type { Escape } from "./entry";
import { EQUALS_ON_FLAGS, READS_A_FILE, VALUE_SWALLOWING, WRITE_FOLLOW_NEVER_END } from "./options";
import { DARWIN, LOOK_ALIKES, WINDOWS } from "./platforms";
import { PROGRAMS, PROTOTYPE_NAMES } from "./programs";
import { AFTER_DASH_DASH, METACHARACTERS } from "./shell";
import { ARGV0_PATHS, MALFORMED } from "./words";

export type { Escape } from "./entry";

export const CORPUS: ReadonlyArray<{ group: string; escapes: readonly Escape[] }> = [
  { group: "abbreviations of long options", escapes: ABBREVIATIONS },
  { group: "value-swallowing options", escapes: VALUE_SWALLOWING },
  { group: "options that read a file", escapes: READS_A_FILE },
  { group: "write, follow or never end", escapes: WRITE_FOLLOW_NEVER_END },
  { group: "= on flags", escapes: EQUALS_ON_FLAGS },
  { group: "programs that run programs", escapes: PROGRAMS },
  { group: "shell metacharacters", escapes: METACHARACTERS },
  { group: "dash words after --", escapes: AFTER_DASH_DASH },
  { group: "malformed argv", escapes: MALFORMED },
  { group: "argv[0] as a path", escapes: ARGV0_PATHS },
  { group: "windows", escapes: WINDOWS },
  { group: "darwin", escapes: DARWIN },
  { group: "unicode look-alikes", escapes: LOOK_ALIKES },
  { group: "prototype property names", escapes: PROTOTYPE_NAMES },
];
