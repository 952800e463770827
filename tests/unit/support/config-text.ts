import { ConfigError, parseConfig } from "../../../config/load";

/** The smallest config the loader accepts, as YAML text to append sections to. */
export const MINIMAL_CONFIG = `
homeserver:
  url: http://127.0.0.1:8008/
  server_name: example.org
appservice:
  url: http://127.0.0.1:9000
  as_token_file: as
  hs_token_file: hs
operators: ["@you:example.org"]
state_dir: ./state
`;

/** The loader's problems with a config text; none when it loads. */
export function configProblems(text: string): readonly string[] {
  try {
    parseConfig(text, "test.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
