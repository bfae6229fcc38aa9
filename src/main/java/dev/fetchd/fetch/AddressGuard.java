package dev.fetchd.fetch;

import io.vertx.core.Future;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Decides which addresses fetchd may connect to. By default every address that is not globally reachable is
 * denied (loopback, private, link-local, cloud metadata, CGNAT, documentation, multicast...): fetchd fetches what
 * its users name, and must not become a way into the network it runs in. Java's isSiteLocal/isLoopback miss
 * several of these ranges, hence the explicit tables: the IANA special-purpose address registries for IPv4 and
 * IPv6 written out below (an address takes the verdict of the most specific entry that holds it), plus
 * multicast, and for IPv6 everything outside global unicast 2000::/3.
 *
 * <p>IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64, 6to4,
 * Teredo) are also judged by the IPv4 address they carry, with the IPv4 rules: {@code [::ffff:0:7f00:1]} is
 * loopback however it is spelt.
 *
 * <p>A host is resolved once and the URL is refused if ANY of its addresses is denied; the caller then
 * connects to the checked address, so a second DNS answer (rebinding) cannot slip through.
 */
public final class AddressGuard {

  /** One entry of an IANA special-purpose address registry, or another range with a fixed verdict. */
  record Special(Cidr range, String name, boolean globallyReachable) {
    static Special of(String cidr, String name, boolean global) {
      return new Special(Cidr.parse(cidr), name, global);
    }
  }

  /**
   * IANA IPv4 Special-Purpose Address Registry (iana-ipv4-special-registry, RFC 6890 and later), "Globally
   * Reachable" column ("N/A" counts as not); then multicast (RFC 5771), which that registry leaves out.
   */
  static final List<Special> IPV4 = List.of(
      Special.of("0.0.0.0/8", "this network (RFC 791)", false),
      Special.of("0.0.0.0/32", "this host on this network (RFC 1122)", false),
      Special.of("10.0.0.0/8", "private use (RFC 1918)", false),
      Special.of("100.64.0.0/10", "shared address space, CGNAT (RFC 6598)", false),
      Special.of("127.0.0.0/8", "loopback (RFC 1122)", false),
      Special.of("169.254.0.0/16", "link local, cloud metadata (RFC 3927)", false),
      Special.of("172.16.0.0/12", "private use (RFC 1918)", false),
      Special.of("192.0.0.0/24", "IETF protocol assignments (RFC 6890)", false),
      Special.of("192.0.0.0/29", "IPv4 service continuity prefix (RFC 7335)", false),
      Special.of("192.0.0.8/32", "IPv4 dummy address (RFC 7600)", false),
      Special.of("192.0.0.9/32", "Port Control Protocol anycast (RFC 7723)", true),
      Special.of("192.0.0.10/32", "TURN anycast (RFC 8155)", true),
      Special.of("192.0.0.170/32", "NAT64/DNS64 discovery (RFC 8880)", false),
      Special.of("192.0.0.171/32", "NAT64/DNS64 discovery (RFC 8880)", false),
      Special.of("192.0.2.0/24", "documentation, TEST-NET-1 (RFC 5737)", false),
      Special.of("192.31.196.0/24", "AS112-v4 (RFC 7535)", true),
      Special.of("192.52.193.0/24", "AMT (RFC 7450)", true),
      Special.of("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)", false),
      Special.of("192.168.0.0/16", "private use (RFC 1918)", false),
      Special.of("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)", true),
      Special.of("198.18.0.0/15", "benchmarking (RFC 2544)", false),
      Special.of("198.51.100.0/24", "documentation, TEST-NET-2 (RFC 5737)", false),
      Special.of("203.0.113.0/24", "documentation, TEST-NET-3 (RFC 5737)", false),
      Special.of("240.0.0.0/4", "reserved (RFC 1112)", false),
      Special.of("255.255.255.255/32", "limited broadcast (RFC 919)", false),
      Special.of("224.0.0.0/4", "multicast (RFC 5771)", false));

  /**
   * IANA IPv6 Special-Purpose Address Registry (iana-ipv6-special-registry), "Globally Reachable" column ("N/A"
   * counts as not); then ranges it leaves out: multicast, deprecated site-local, the deprecated IPv4-compatible
   * and the IPv4-translated (SIIT) forms, and everything outside global unicast.
   */
  static final List<Special> IPV6 = List.of(
      Special.of("::1/128", "loopback (RFC 4291)", false),
      Special.of("::/128", "unspecified (RFC 4291)", false),
      Special.of("::ffff:0:0/96", "IPv4-mapped (RFC 4291)", false),
      Special.of("64:ff9b::/96", "IPv4-IPv6 translation, NAT64 (RFC 6052)", true),
      Special.of("64:ff9b:1::/48", "IPv4-IPv6 translation, local use (RFC 8215)", false),
      Special.of("100::/64", "discard-only (RFC 6666)", false),
      Special.of("100:0:0:1::/64", "dummy IPv6 prefix (RFC 9780)", false),
      Special.of("2001::/23", "IETF protocol assignments (RFC 2928)", false),
      Special.of("2001::/32", "Teredo (RFC 4380)", false),
      Special.of("2001:1::1/128", "Port Control Protocol anycast (RFC 7723)", true),
      Special.of("2001:1::2/128", "TURN anycast (RFC 8155)", true),
      Special.of("2001:1::3/128", "DNS-SD service registration protocol anycast (RFC 9665)", true),
      Special.of("2001:2::/48", "benchmarking (RFC 5180)", false),
      Special.of("2001:3::/32", "AMT (RFC 7450)", true),
      Special.of("2001:4:112::/48", "AS112-v6 (RFC 7535)", true),
      Special.of("2001:10::/28", "deprecated ORCHID (RFC 4843)", false),
      Special.of("2001:20::/28", "ORCHIDv2 (RFC 7343)", true),
      Special.of("2001:30::/28", "drone remote ID entity tags (RFC 9374)", true),
      Special.of("2001:db8::/32", "documentation (RFC 3849)", false),
      Special.of("2002::/16", "6to4 (RFC 3056)", false),
      Special.of("2620:4f:8000::/48", "direct delegation AS112 service (RFC 7534)", true),
      Special.of("3fff::/20", "documentation (RFC 9637)", false),
      Special.of("5f00::/16", "segment routing SIDs (RFC 9602)", false),
      Special.of("fc00::/7", "unique local (RFC 4193)", false),
      Special.of("fe80::/10", "link-local unicast (RFC 4291)", false),
      Special.of("fec0::/10", "deprecated site-local (RFC 3879)", false),
      Special.of("ff00::/8", "multicast (RFC 4291)", false),
      Special.of("::/96", "deprecated IPv4-compatible (RFC 4291)", false),
      Special.of("::ffff:0:0:0/96", "IPv4-translated (RFC 2765)", false));

  private static final Cidr GLOBAL_UNICAST_V6 = Cidr.parse("2000::/3");

  /** The IPv6 forms that carry an IPv4 address, and where. */
  private enum Embedding {
    MAPPED("IPv4-mapped"), TRANSLATED("IPv4-translated"), COMPATIBLE("IPv4-compatible"), NAT64("NAT64"),
    NAT64_LOCAL("local-use NAT64"), SIX_TO_FOUR("6to4"), TEREDO("Teredo");

    final String label;

    Embedding(String label) {
      this.label = label;
    }
  }

  private static final Pattern DOTTED_QUAD =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern NUMERIC_HOST = Pattern.compile("[0-9.]+|0[xX][0-9a-fA-F.xX]*|[0-9a-fA-FxX.]*\\d[0-9a-fA-FxX.]*");

  private final boolean allowAll;
  private final List<Cidr> allowed;
  private final Resolver resolver;

  public AddressGuard(boolean allowAll, List<String> allowedCidrs, Resolver resolver) {
    this.allowAll = allowAll;
    this.allowed = allowedCidrs.stream().map(Cidr::parse).toList();
    this.resolver = resolver;
  }

  /** The outcome of a check: the address to connect to, or why the host is refused. */
  public record Verdict(InetAddress address, String refusal) {
    public boolean allowed() {
      return refusal == null;
    }
  }

  /**
   * Checks a URL's host. Completes with an allowed verdict naming the address to connect to (null when
   * every address is allowed and the client may resolve itself), or a refusal; fails only when the name
   * cannot be resolved.
   */
  public Future<Verdict> check(String host) {
    if (allowAll) {
      return Future.succeededFuture(new Verdict(null, null));
    }
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.contains("%")) {
      return Future.succeededFuture(new Verdict(null, "IPv6 zone ids are not allowed"));
    }
    if (h.contains(":")) {
      return Future.succeededFuture(judge(List.of(literal(h))));
    }
    if (looksNumeric(h)) {
      if (!DOTTED_QUAD.matcher(h).matches()) {
        return Future.succeededFuture(new Verdict(null, "IPv4 address '" + h + "' is not in canonical dotted form"));
      }
      return Future.succeededFuture(judge(List.of(literal(h))));
    }
    return resolver.resolve(h).map(this::judge);
  }

  private static boolean looksNumeric(String h) {
    // a last label that is all digits (or hex) can only be an IPv4 address in some form: 127.1, 0x7f.1, 2130706433
    String last = h.substring(h.lastIndexOf('.') + 1);
    return !last.isEmpty() && (last.chars().allMatch(Character::isDigit) || last.toLowerCase().startsWith("0x"))
        && NUMERIC_HOST.matcher(h).matches();
  }

  private static InetAddress literal(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("bad IP literal " + ip, e);
    }
  }

  Verdict judge(List<InetAddress> addresses) {
    if (addresses.isEmpty()) {
      return new Verdict(null, "host has no address");
    }
    for (InetAddress a : addresses) {
      String why = denial(a);
      if (why != null) {
        return new Verdict(null, why);
      }
    }
    return new Verdict(addresses.get(0), null);
  }

  /** Why this address is denied, or null. */
  String denial(InetAddress address) {
    byte[] raw = address.getAddress();
    if (raw.length == 16 && embedding(raw) == Embedding.MAPPED) {
      raw = Arrays.copyOfRange(raw, 12, 16); // the same host as the IPv4 address it carries
    }
    if (isAllowed(raw)) {
      return null;
    }
    if (raw.length == 4) {
      String why = ipv4Denial(raw);
      return why == null ? null : "address " + address.getHostAddress() + " is in " + why;
    }
    Embedding form = embedding(raw);
    if (form != null) {
      byte[] v4 = embeddedIpv4(raw, form);
      boolean sameHost = form == Embedding.TRANSLATED || form == Embedding.COMPATIBLE;
      String why = sameHost && isAllowed(v4) ? null : ipv4Denial(v4);
      if (why != null) {
        return "address " + address.getHostAddress() + " carries the IPv4 address " + dotted(v4) + " (" + form.label
            + "), which is in " + why;
      }
    }
    Special s = mostSpecific(IPV6, raw);
    if (s != null && !s.globallyReachable()) {
      return "address " + address.getHostAddress() + " is in " + describe(s);
    }
    if (s == null && !GLOBAL_UNICAST_V6.contains(raw)) {
      return "address " + address.getHostAddress() + " is outside global unicast 2000::/3";
    }
    return null;
  }

  private boolean isAllowed(byte[] raw) {
    for (Cidr a : allowed) {
      if (a.contains(raw)) {
        return true;
      }
    }
    return false;
  }

  /** The denied range an IPv4 address is in (as text), or null when it is globally reachable. */
  private static String ipv4Denial(byte[] v4) {
    Special s = mostSpecific(IPV4, v4);
    return s == null || s.globallyReachable() ? null : describe(s);
  }

  private static String describe(Special s) {
    return "the denied range " + s.range().text() + ", " + s.name();
  }

  private static Special mostSpecific(List<Special> table, byte[] raw) {
    Special best = null;
    for (Special s : table) {
      if (s.range().contains(raw) && (best == null || s.range().prefix() > best.range().prefix())) {
        best = s;
      }
    }
    return best;
  }

  /** Which IPv4-carrying form a 16-byte address has, or null. */
  static Embedding embedding(byte[] b) {
    if (b.length != 16) {
      return null;
    }
    if (zero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      return Embedding.MAPPED;
    }
    if (zero(b, 0, 8) && (b[8] & 0xff) == 0xff && (b[9] & 0xff) == 0xff && zero(b, 10, 12)) {
      return Embedding.TRANSLATED;
    }
    if (zero(b, 0, 12) && !(zero(b, 12, 15) && (b[15] & 0xff) <= 1)) { // :: and ::1 are themselves
      return Embedding.COMPATIBLE;
    }
    if (b[0] == 0 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
      if (zero(b, 4, 12)) {
        return Embedding.NAT64;
      }
      if (b[4] == 0 && b[5] == 1) {
        return Embedding.NAT64_LOCAL;
      }
    }
    if ((b[0] & 0xff) == 0x20 && b[1] == 0x02) {
      return Embedding.SIX_TO_FOUR;
    }
    if ((b[0] & 0xff) == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
      return Embedding.TEREDO;
    }
    return null;
  }

  /** The IPv4 address a form carries: RFC 4291, 2765, 6052 (the /48 layout skips byte 8), 3056, 4380. */
  static byte[] embeddedIpv4(byte[] b, Embedding form) {
    return switch (form) {
      case MAPPED, TRANSLATED, COMPATIBLE, NAT64 -> Arrays.copyOfRange(b, 12, 16);
      case NAT64_LOCAL -> new byte[] {b[6], b[7], b[9], b[10]};
      case SIX_TO_FOUR -> Arrays.copyOfRange(b, 2, 6);
      // the Teredo client's own address, obfuscated by inverting its bits
      case TEREDO -> new byte[] {(byte) ~b[12], (byte) ~b[13], (byte) ~b[14], (byte) ~b[15]};
    };
  }

  private static boolean zero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static String dotted(byte[] v4) {
    return (v4[0] & 0xff) + "." + (v4[1] & 0xff) + "." + (v4[2] & 0xff) + "." + (v4[3] & 0xff);
  }
}
