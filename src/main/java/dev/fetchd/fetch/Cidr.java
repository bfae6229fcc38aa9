package dev.fetchd.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address range such as {@code 10.0.0.0/8} or {@code fc00::/7}. */
public record Cidr(byte[] network, int prefix, String text) {

  public static Cidr parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not a CIDR: " + text);
    }
    try {
      String ip = text.substring(0, slash);
      byte[] net = InetAddress.getByName(ip).getAddress();
      if (ip.contains(":") && net.length == 4) {
        // Java turns ::ffff:a.b.c.d into an IPv4 address; an IPv6 range such as ::ffff:0:0/96 stays IPv6
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xff;
        v6[11] = (byte) 0xff;
        System.arraycopy(net, 0, v6, 12, 4);
        net = v6;
      }
      int prefix = Integer.parseInt(text.substring(slash + 1));
      if (prefix < 0 || prefix > net.length * 8) {
        throw new IllegalArgumentException("bad prefix length in " + text);
      }
      return new Cidr(net, prefix, text);
    } catch (UnknownHostException | NumberFormatException e) {
      throw new IllegalArgumentException("not a CIDR: " + text);
    }
  }

  public boolean contains(byte[] addr) {
    if (addr.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (addr[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (addr[full] & mask) == (network[full] & mask);
  }
}
