package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AddressPolicyTest {

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: never a DNS lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Resolves from a fixed table, so that tests never use DNS. */
    private static AddressPolicy.Resolver table(Map<String, String[]> hosts) {
        return host -> {
            String[] found = hosts.get(host);
            if (found == null) {
                if (host.matches("[0-9.]+") || host.contains(":")) {
                    return new InetAddress[] {ip(host)};
                }
                throw new UnknownHostException(host);
            }
            InetAddress[] out = new InetAddress[found.length];
            for (int i = 0; i < found.length; i++) {
                out[i] = ip(found[i]);
            }
            return out;
        };
    }

    @Test
    void classifiesInternalIpv4Addresses() {
        Map<String, String> blocked = Map.ofEntries(
                Map.entry("127.0.0.1", "a loopback address"),
                Map.entry("127.255.255.254", "a loopback address"),
                Map.entry("0.0.0.0", "an unspecified (this-network) address"),
                Map.entry("0.1.2.3", "an unspecified (this-network) address"),
                Map.entry("10.0.0.1", "a private address"),
                Map.entry("10.255.255.255", "a private address"),
                Map.entry("172.16.0.1", "a private address"),
                Map.entry("172.31.255.255", "a private address"),
                Map.entry("192.168.1.1", "a private address"),
                Map.entry("100.64.0.1", "a shared (carrier-grade NAT) address"),
                Map.entry("100.127.255.255", "a shared (carrier-grade NAT) address"),
                Map.entry("100.100.100.200", "a shared (carrier-grade NAT) address"),
                Map.entry("169.254.169.254", "a link-local address (where cloud metadata services live)"),
                Map.entry("169.254.0.1", "a link-local address (where cloud metadata services live)"),
                Map.entry("192.0.0.192", "a reserved (IETF protocol) address"),
                Map.entry("198.18.0.1", "a reserved (benchmarking) address"),
                Map.entry("198.19.255.255", "a reserved (benchmarking) address"),
                Map.entry("224.0.0.1", "a multicast address"),
                Map.entry("239.255.255.250", "a multicast address"),
                Map.entry("240.0.0.1", "a reserved or broadcast address"),
                Map.entry("255.255.255.255", "a reserved or broadcast address"));
        blocked.forEach((literal, kind) ->
                assertThat(AddressPolicy.blockedKind(ip(literal))).as(literal).isEqualTo(kind));
    }

    @Test
    void classifiesInternalIpv6AddressesIncludingEmbeddedIpv4() {
        Map<String, String> blocked = Map.ofEntries(
                Map.entry("::1", "a loopback address"),
                Map.entry("::", "an unspecified address"),
                Map.entry("::ffff:127.0.0.1", "a loopback address"),
                Map.entry("::ffff:10.0.0.1", "a private address"),
                Map.entry("::ffff:169.254.169.254", "a link-local address (where cloud metadata services live)"),
                Map.entry("::127.0.0.1", "a loopback address"),
                Map.entry("::10.0.0.1", "a private address"),
                Map.entry("64:ff9b::10.0.0.1", "a private address"),
                Map.entry("64:ff9b::7f00:1", "a loopback address"),
                Map.entry("64:ff9b:1::1", "a local-use NAT64 address"),
                Map.entry("2002:a00:1::", "a private address"),
                Map.entry("2002:7f00:1::1", "a loopback address"),
                Map.entry("2001:0:4136:e378:8000:63bf:3fff:fdd2", "a Teredo tunnel address"),
                Map.entry("fc00::1", "a private (unique local) address"),
                Map.entry("fd12:3456:789a::1", "a private (unique local) address"),
                Map.entry("fd00:ec2::254", "a private (unique local) address"),
                Map.entry("fe80::1", "a link-local address"),
                Map.entry("febf::1", "a link-local address"),
                Map.entry("fec0::1", "a site-local address"),
                Map.entry("ff02::1", "a multicast address"),
                Map.entry("100::1", "a discard-only address"));
        blocked.forEach((literal, kind) ->
                assertThat(AddressPolicy.blockedKind(ip(literal))).as(literal).isEqualTo(kind));
    }

    @Test
    void classifiesAnIpv4MappedAddressHeldAsIpv6() throws Exception {
        // Java turns ::ffff:a.b.c.d literals into IPv4 addresses; an Inet6Address with those bytes is judged the same
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 1;
        InetAddress six = java.net.Inet6Address.getByAddress(null, mapped, -1);
        assertThat(six.getAddress()).hasSize(16);
        assertThat(AddressPolicy.blockedKind(six)).isEqualTo("a private address");
    }

    @Test
    void publicAddressesPass() {
        for (String literal : new String[] {"8.8.8.8", "1.1.1.1", "93.184.216.34", "11.0.0.1", "172.15.255.255",
                "172.32.0.1", "192.169.0.1", "100.63.255.255", "100.128.0.1", "169.253.255.255", "198.20.0.1",
                "223.255.255.255", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8",
                "2002:808:808::1", "64:ff9b::808:808"}) {
            assertThat(AddressPolicy.blockedKind(ip(literal))).as(literal).isNull();
        }
    }

    @Test
    void refusesAHostIfAnyOfItsAddressesIsInternal() {
        AddressPolicy policy = new AddressPolicy(new String[0], table(Map.of(
                "public.example", new String[] {"93.184.216.34"},
                "mixed.example", new String[] {"93.184.216.34", "10.1.2.3"},
                "rebind.example", new String[] {"2606:4700:4700::1111", "::ffff:127.0.0.1"},
                "metadata.google.internal", new String[] {"93.184.216.34"})));

        assertThatCode(() -> policy.check("public.example")).doesNotThrowAnyException();
        assertThatThrownBy(() -> policy.check("mixed.example"))
                .isInstanceOf(ToolException.class)
                .hasMessage("host 'mixed.example' resolves to 10.1.2.3, a private address; requests to internal addresses"
                        + " are refused unless allowed in the io.toka.tools.http configuration");
        assertThatThrownBy(() -> policy.check("rebind.example"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("host 'rebind.example' resolves to 127.0.0.1, a loopback address");
        assertThatThrownBy(() -> policy.check("metadata.google.internal"))
                .isInstanceOf(ToolException.class)
                .hasMessage("host 'metadata.google.internal' is a cloud metadata service; requests to it are refused");
        assertThatThrownBy(() -> policy.check("METADATA.google.internal."))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("is a cloud metadata service");
        assertThatThrownBy(() -> policy.check("unknown.example"))
                .isInstanceOf(ToolException.class)
                .hasMessage("host 'unknown.example' cannot be resolved");
        assertThatThrownBy(() -> policy.check("[fd00:ec2::254]"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("address fd00:ec2:0:0:0:0:0:254 is a private (unique local) address");
        assertThatThrownBy(() -> policy.check("169.254.169.254"))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("address 169.254.169.254 is a link-local address");
    }

    @Test
    void anAllowListOpensNamesAddressesAndRanges() {
        AddressPolicy.Resolver resolver = table(Map.of(
                "intranet.example", new String[] {"10.1.2.3"},
                "wiki.corp.example", new String[] {"172.20.0.5"},
                "db.corp.example", new String[] {"172.21.0.5"},
                "mixed.corp.example", new String[] {"172.20.0.9", "192.168.0.1"}));
        AddressPolicy policy = new AddressPolicy(
                new String[] {"Intranet.Example.", " 127.0.0.1 ", "172.20.0.0/16", "fd00::/8", "", " "}, resolver);

        assertThatCode(() -> policy.check("intranet.example")).doesNotThrowAnyException();
        assertThatCode(() -> policy.check("127.0.0.1")).doesNotThrowAnyException();
        assertThatCode(() -> policy.check("wiki.corp.example")).doesNotThrowAnyException();
        assertThatCode(() -> policy.check("[fd12::1]")).doesNotThrowAnyException();
        assertThatThrownBy(() -> policy.check("127.0.0.2")).isInstanceOf(ToolException.class);
        assertThatThrownBy(() -> policy.check("db.corp.example")).isInstanceOf(ToolException.class);
        assertThatThrownBy(() -> policy.check("mixed.corp.example"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("192.168.0.1");
        assertThatThrownBy(() -> policy.check("::1")).isInstanceOf(ToolException.class);
    }

    @Test
    void readsACommaSeparatedAllowListAsACfgFileGivesIt() throws Exception {
        AddressPolicy.Resolver resolver = table(Map.of("intranet.example", new String[] {"10.1.2.3"}));
        AddressPolicy policy = new AddressPolicy(new String[] {"intranet.example, 127.0.0.1 ,172.20.0.0/16"}, resolver);
        assertThatCode(() -> policy.check("intranet.example")).doesNotThrowAnyException();
        assertThatCode(() -> policy.check("127.0.0.1")).doesNotThrowAnyException();
        assertThatCode(() -> policy.check("172.20.9.9")).doesNotThrowAnyException();
        assertThatThrownBy(() -> policy.check("10.1.2.4")).isInstanceOf(ToolException.class);
    }

    @Test
    void refusesBadAllowListEntries() {
        AddressPolicy.Resolver none = host -> {
            throw new UnknownHostException(host);
        };
        assertThatThrownBy(() -> new AddressPolicy(new String[] {"10.0.0.0/33"}, none))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowHosts entry '10.0.0.0/33' has an invalid prefix length; use 0 to 32");
        assertThatThrownBy(() -> new AddressPolicy(new String[] {"example.com/8"}, none))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowHosts entry 'example.com/8' must be an IP address before the '/'");
        assertThatThrownBy(() -> new AddressPolicy(new String[] {"http://example.com"}, none))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a host name, an IP address or a CIDR range");
        assertThatThrownBy(() -> new AddressPolicy(new String[] {"999.1.1.1"}, none))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowHosts entry '999.1.1.1' is not a host name, an IP address or a CIDR range such as 10.0.0.0/8");
    }
}
