// Whether an outgoing HTTP request may go to a host, given a function's `allowedHosts`.
// Entries: `api.example.com` (any port), `api.example.com:8443`, `*.example.com` (subdomains), `*` (any host),
// or a URL such as `https://api.example.com` (its host and port).

export function isHostAllowed(authority: string | undefined, scheme: 'http' | 'https' | string, allowedHosts: string[]): boolean {
  if (!authority) return false;
  const target = splitAuthority(authority, scheme);
  return allowedHosts.some((entry) => {
    const rule = parseEntry(entry);
    if (!rule) return false;
    if (rule.port !== undefined && rule.port !== target.port) return false;
    if (rule.host === '*') return true;
    if (rule.host.startsWith('*.')) return target.host.endsWith(rule.host.slice(1)) && target.host.length > rule.host.length - 1;
    return rule.host === target.host;
  });
}

function defaultPort(scheme: string): number {
  return scheme.replace(/:$/, '').toLowerCase() === 'http' ? 80 : 443;
}

function splitAuthority(authority: string, scheme: string): { host: string; port: number } {
  const withoutUser = authority.slice(authority.lastIndexOf('@') + 1);
  const ipv6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(withoutUser);
  if (ipv6) return { host: ipv6[1]!.toLowerCase(), port: ipv6[2] ? Number(ipv6[2]) : defaultPort(scheme) };
  const [host, port] = withoutUser.split(':');
  return { host: host!.toLowerCase(), port: port ? Number(port) : defaultPort(scheme) };
}

function parseEntry(entry: string): { host: string; port?: number } | undefined {
  const trimmed = entry.trim().toLowerCase();
  if (!trimmed) return undefined;
  const url = /^([a-z]+):\/\/([^/]+)/.exec(trimmed);
  if (url) {
    const { host, port } = splitAuthority(url[2]!, url[1]!);
    return { host, port };
  }
  const ipv6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (ipv6) return { host: ipv6[1]!, ...(ipv6[2] ? { port: Number(ipv6[2]) } : {}) };
  const [host, port] = trimmed.split(':');
  return { host: host!, ...(port ? { port: Number(port) } : {}) };
}
