/** One workspace package and its entry points (see workspace.mjs). */
export interface WorkspacePackage {
  name: string;
  dir: string;
  private: boolean;
  browser: boolean;
  entries: { subpath: string; source: string }[];
}
export const repoRoot: string;
export function workspacePackages(root?: string): WorkspacePackage[];
export function staleWorkspaceFiles(root?: string): string[];
export function packageGraphMermaid(root?: string): string;
