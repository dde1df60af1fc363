/**
 * Policy routing rules of a namespace (`ip rule add|del|show` without the binary): the other
 * half of `SO_MARK`. A rule sends the packets it matches (by the mark of the socket that sent
 * them, their source or destination) to a routing table of their own. Refusals are
 * `NetNSSystemError`s whose `syscall` is the request (`RTM_NEWRULE`, `RTM_DELRULE`) and whose
 * `target` is the rule as `ip rule` prints it (`'from all fwmark 0x2a lookup 100'`).
 */
import { callNative, InvalidArgValueError } from '../errors';
import { native } from '../native';
import { validateFamily, validateKnownOptions, validateObject, validateUint32 } from '../validate';
import { parseNetwork } from './cidr';
import { tableNumber, type RouteTable } from './routes';

/** A rule, as `addRule` and `deleteRule` take it (`ip rule add fwmark MARK/MASK from FROM to TO lookup TABLE pref PRIORITY`). */
export interface Rule {
  /** The table to look routes up in, by number or `'main'`, `'local'`, `'default'`. */
  table: RouteTable;
  /** The firewall mark to match: the `mark` of `ns.connect()` and the other socket methods. */
  fwmark?: number;
  /** The bits of the mark that are compared; all of them when left out. Needs `fwmark`. */
  mask?: number;
  /** The priority, lower first (the kernel's own rules are 0, 32766, 32767); the kernel picks one when left out. */
  priority?: number;
  /** The source network to match, `'10.8.0.0/16'` (an address alone is one host). */
  from?: string;
  /** The destination network to match. */
  to?: string;
  /** IPv4 (4, the default) or IPv6 (6) rules, when neither `from` nor `to` says. */
  family?: 4 | 6;
}

/** A rule as `NetNS.rules()` lists it; it can be passed to `deleteRule` as it is. */
export interface RuleInfo {
  /** 4 or 6: each family has its own rules. */
  family: 4 | 6;
  /** The priority. */
  priority: number;
  /** The table's number. */
  table: number;
  /** The firewall mark matched, if any. */
  fwmark?: number;
  /** The bits of the mark compared, when there is a mark. */
  mask?: number;
  /** The source network matched, if any. */
  from?: string;
  /** The destination network matched, if any. */
  to?: string;
}

const RULE_KEYS = new Set(['table', 'fwmark', 'mask', 'priority', 'from', 'to', 'family']);

type NativeRule = Parameters<typeof native.addRule>[1];

/** Checks `rule` and puts it in the binding's form. */
function nativeRule(rule: unknown): NativeRule {
  validateObject(rule, 'rule');
  validateKnownOptions(rule, RULE_KEYS, 'rule', 'a rule');
  const { table, fwmark, mask, priority, from, to, family } = rule;
  const tableArg = tableNumber(table, 'rule.table');
  if (fwmark !== undefined) validateUint32(fwmark, 'rule.fwmark');
  if (mask !== undefined) {
    validateUint32(mask, 'rule.mask');
    if (fwmark === undefined) throw new InvalidArgValueError('rule.mask', mask, 'needs rule.fwmark');
  }
  if (priority !== undefined) validateUint32(priority, 'rule.priority');
  if (family !== undefined) validateFamily(family, 'rule.family');
  const src = from === undefined ? undefined : parseNetwork(from, 'rule.from');
  const dst = to === undefined ? undefined : parseNetwork(to, 'rule.to');
  const chosen = family ?? src?.family ?? dst?.family ?? 4;
  for (const [name, net] of [['rule.from', src], ['rule.to', dst]] as const) {
    if (net && net.family !== chosen) {
      throw new InvalidArgValueError(name, rule[name.slice(5)], `must be an IPv${chosen} network, as the rest of the rule is`);
    }
  }
  return {
    v6: chosen === 6,
    table: tableArg,
    fwmark: fwmark as number | undefined,
    fwmask: mask as number | undefined,
    priority: priority as number | undefined,
    src: src?.address,
    srcLen: src?.prefixLen,
    dst: dst?.address,
    dstLen: dst?.prefixLen,
  };
}

/** Adds `rule` to `nsFd`. */
export function addRule(nsFd: number, rule: unknown): void {
  const arg = nativeRule(rule);
  callNative(() => native.addRule(nsFd, arg));
}

/** Deletes the first rule of `nsFd` that matches `rule`. */
export function deleteRule(nsFd: number, rule: unknown): void {
  const arg = nativeRule(rule);
  callNative(() => native.deleteRule(nsFd, arg));
}

/** The "lookup TABLE" rules of `nsFd`, IPv4 then IPv6, by priority. */
export function listRules(nsFd: number): RuleInfo[] {
  return callNative(() => native.listRules(nsFd)).map((r) => {
    const info: RuleInfo = { family: r.v6 ? 6 : 4, priority: r.priority ?? 0, table: r.table };
    if (r.fwmark !== undefined && r.fwmark !== null) info.fwmark = r.fwmark;
    if (r.fwmask !== undefined && r.fwmask !== null) info.mask = r.fwmask;
    if (r.src) info.from = `${r.src}/${r.srcLen}`;
    if (r.dst) info.to = `${r.dst}/${r.dstLen}`;
    return info;
  });
}
