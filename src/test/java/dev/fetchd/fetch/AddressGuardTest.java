package dev.fetchd.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressGuardTest {
  /** A resolver from a table: no name ever reaches real DNS. */
  static Resolver table(Map<String, List<String>> names) {
    return host -> {
      List<String> ips = names.get(host);
      if (ips == null) {
        return Future.failedFuture(new java.net.UnknownHostException(host));
      }
      return Future.succeededFuture(ips.stream().map(AddressGuardTest::ip).toList());
    };
  }

  static InetAddress ip(String s) {
    try {
      return InetAddress.getByName(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private final AddressGuard strict = new AddressGuard(false, List.of(), table(Map.of(
      "public.test", List.of("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"),
      "mixed.test", List.of("93.184.216.34", "10.0.0.5"),
      "metadata.test", List.of("169.254.169.254"),
      "mapped.test", List.of("::ffff:127.0.0.1"))));

  @ParameterizedTest
  @ValueSource(strings = {"0.1.2.3", "10.1.2.3", "100.64.0.1", "127.0.0.1", "127.255.255.254", "169.254.169.254",
      "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.1.1", "198.18.0.1",
      "198.51.100.7", "203.0.113.9", "224.0.0.1", "240.0.0.1", "255.255.255.255",
      "::", "::1", "::7f00:1", "64:ff9b::a00:1", "64:ff9b:1::1", "100::1", "2001::1", "2001:db8::1", "2002::1",
      "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "::ffff:10.0.0.1"})
  void everySpecialPurposeRangeIsDenied(String address) {
    assertThat(strict.denial(ip(address))).as(address).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700::1111", "100.128.0.1"})
  void publicAddressesAreAllowed(String address) {
    assertThat(strict.denial(ip(address))).as(address).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.000.000.001", "017700000001"})
  void nonCanonicalIpv4LiteralsAreRefused(String host) {
    AddressGuard.Verdict v = strict.check(host).result();
    assertThat(v.allowed()).as(host).isFalse();
  }

  @Test
  void aHostIsRefusedIfAnyOfItsAddressesIsDenied() {
    assertThat(strict.check("mixed.test").result().allowed()).isFalse();
    assertThat(strict.check("metadata.test").result().refusal()).contains("169.254.0.0/16");
    assertThat(strict.check("mapped.test").result().allowed()).as("IPv4-mapped loopback").isFalse();
  }

  @Test
  void anAllowedHostIsPinnedToTheAddressThatWasChecked() {
    AddressGuard.Verdict v = strict.check("public.test").result();
    assertThat(v.allowed()).isTrue();
    assertThat(v.address().getHostAddress()).isEqualTo("93.184.216.34");
  }

  @Test
  void ipv6ZoneIdsAreRefused() {
    assertThat(strict.check("[fe80::1%eth0]").result().allowed()).isFalse();
  }

  @Test
  void anAllowListOpensOnlyItsRanges() {
    AddressGuard guard = new AddressGuard(false, List.of("127.0.0.1/32", "10.1.0.0/16"), table(Map.of()));
    assertThat(guard.denial(ip("127.0.0.1"))).isNull();
    assertThat(guard.denial(ip("127.0.0.2"))).isNotNull();
    assertThat(guard.denial(ip("10.1.200.3"))).isNull();
    assertThat(guard.denial(ip("10.2.0.1"))).isNotNull();
    assertThat(guard.denial(ip("169.254.169.254"))).isNotNull();
  }

  @Test
  void allowingPrivateNetworksAllowsEverythingWithoutResolving() {
    AddressGuard open = new AddressGuard(true, List.of(), host -> Future.failedFuture("must not resolve"));
    AddressGuard.Verdict v = open.check("anything.test").result();
    assertThat(v.allowed()).isTrue();
    assertThat(v.address()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"::ffff:0:7f00:1", "::ffff:0:a00:1", "::ffff:0:a9fe:a9fe", "::7f00:1", "::a9fe:a9fe",
      "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::c0a8:101", "64:ff9b:1:7f00:0:100::", "2002:7f00:1::1",
      "2002:a00:1::", "2001:0:4136:e378:8000:63bf:80ff:fffe", "::ffff:127.0.0.1"})
  void ipv4TranslatedIpv6IsDenied(String address) {
    String why = strict.denial(ip(address));
    assertThat(why).as(address).isNotNull();
    if (!address.contains(".")) {
      assertThat(strict.check("[" + address + "]").result().allowed()).as(address).isFalse();
    }
  }

  @Test
  void theEmbeddedIpv4AddressIsNamedInTheRefusal() {
    assertThat(strict.denial(ip("::ffff:0:7f00:1"))).contains("127.0.0.1", "IPv4-translated", "127.0.0.0/8");
    assertThat(strict.denial(ip("64:ff9b::a9fe:a9fe"))).contains("169.254.169.254", "NAT64");
    assertThat(strict.denial(ip("2002:c0a8:101::1"))).contains("192.168.1.1", "6to4");
    // a Teredo client address is stored inverted: 80ff:fffe is 127.0.0.1
    assertThat(strict.denial(ip("2001:0:4136:e378:8000:63bf:80ff:fffe"))).contains("127.0.0.1", "Teredo");
  }

  @Test
  void nat64OfAPublicAddressIsAllowedLikeThatAddress() {
    assertThat(strict.denial(ip("64:ff9b::808:808"))).isNull();
    assertThat(strict.denial(ip("64:ff9b::a00:1"))).isNotNull();
  }

  /** Every non-global entry of the IANA registries (2025), by an address inside it. */
  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "0.255.1.1", "10.255.255.255", "100.127.255.254", "127.0.0.2", "169.254.1.1",
      "172.20.0.1", "192.0.0.1", "192.0.0.7", "192.0.0.8", "192.0.0.170", "192.0.0.171", "192.0.0.255",
      "192.0.2.255", "192.88.99.255", "192.168.255.255", "198.19.255.255", "198.51.100.255", "203.0.113.255",
      "239.255.255.250", "241.0.0.1", "255.255.255.255",
      "::", "::1", "::ffff:0:0", "64:ff9b:1:ffff::1", "100::ffff", "100:0:0:1::1", "2001:1ff::1", "2001::ffff",
      "2001:2:0:ffff::1", "2001:10::1", "2001:db8:ffff::1", "2002:808:808::1", "3fff:fff::1", "5f00::1",
      "fdff::1", "febf::1", "fec0::1", "ff0e::1", "4000::1", "8000::1", "1::1"})
  void everyNonGlobalRegistryEntryIsDenied(String address) {
    assertThat(strict.denial(ip(address))).as(address).isNotNull();
  }

  /** The registries' globally reachable entries stay reachable, even inside a denied block. */
  @ParameterizedTest
  @ValueSource(strings = {"192.0.0.9", "192.0.0.10", "192.31.196.1", "192.52.193.1", "192.175.48.1",
      "2001:1::1", "2001:1::2", "2001:1::3", "2001:3::1", "2001:4:112::1", "2001:20::1", "2001:30::1",
      "2620:4f:8000::1", "64:ff9b::101:101"})
  void globallyReachableRegistryEntriesAreAllowed(String address) {
    assertThat(strict.denial(ip(address))).as(address).isNull();
  }
}
