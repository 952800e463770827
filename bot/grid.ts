/** Element X shows no tables: grids are <pre> text of at most 40 columns a line. */
export const GRID_WIDTH = 40;

/** Wraps each line at the grid width, continuing with an indent, breaking at spaces where it can. */
export function wrapGrid(lines: readonly string[], width = GRID_WIDTH, indent = "    "): string[] {
  const out: string[] = [];
  for (const line of lines) {
    let rest = line;
    let first = true;
    while (rest.length > 0) {
      const room = first ? width : width - indent.length;
      if (rest.length <= room) {
        out.push(first ? rest : indent + rest);
        break;
      }
      let cut = rest.lastIndexOf(" ", room);
      if (cut <= room / 2) cut = room;
      out.push((first ? "" : indent) + rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).trimStart();
      first = false;
    }
  }
  return out;
}
