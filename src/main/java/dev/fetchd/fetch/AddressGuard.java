package dev.fetchd.fetch;

import io.vertx.core.Future;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Decides which addresses fetchd may connect to. By default every special-purpose range is denied
 * (loopback, private, link-local, cloud metadata, CGNAT, documentation, multicast...): fetchd fetches what
 * its users name, and must not become a way into the network it runs in. Java's isSiteLocal/isLoopback
 * miss several of these ranges, hence the explicit table.
 *
 * <p>A host is resolved once and the URL is refused if ANY of its addresses is denied; the caller then
 * connects to the checked address, so a second DNS answer (rebinding) cannot slip through.
 */
public final class AddressGuard {
  static final List<Cidr> DENIED = java.util.stream.Stream.of(
      "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
      "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
      "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
      "::/128", "::1/128", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32",
      "2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8").map(Cidr::parse).toList();

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
    byte[] raw = fold(address);
    for (Cidr a : allowed) {
      if (a.contains(raw)) {
        return null;
      }
    }
    for (Cidr d : DENIED) {
      if (d.contains(raw)) {
        return "address " + address.getHostAddress() + " is in the denied range " + d.text();
      }
    }
    return null;
  }

  /** IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are judged as the IPv4 address they carry. */
  static byte[] fold(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet6Address && b.length == 16) {
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      mapped &= (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
      if (mapped) {
        return Arrays.copyOfRange(b, 12, 16);
      }
    }
    return b;
  }
}
