package io.toka.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.cluster.ClusterMember;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration checks, what the secret yields, the member cards and the key cipher, without a network. */
class OfflineTest {

    @TempDir
    Path dir;

    @Test
    void aConfigurationIsCheckedAndEveryProblemNamed() {
        assertThatThrownBy(() -> ClusterSettings.from(TestMembers.config("bad name!", "", "nohost, 10.0.0.1:99999",
                0), null, 8181)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("clusterName must be")
                .hasMessageContaining("a shared secret is required")
                .hasMessageContaining("member 'nohost' is not host:port")
                .hasMessageContaining("member '10.0.0.1:99999' is not host:port")
                .hasMessageContaining("port must be 1-65535");
        assertThatThrownBy(() -> ClusterSettings.from(TestMembers.config("toka", "short", "127.0.0.1:5701", 5701),
                null, 8181)).hasMessageContaining("the secret has 5 characters; at least 32");
        assertThatThrownBy(() -> ClusterSettings.from(TestMembers.config("toka", TestMembers.SECRET, "", 5701), null, 8181))
                .hasMessageContaining("members must list at least one member");
    }

    @Test
    void theSecretNeverShowsAndTheDefaultsFollowTheNode() throws Exception {
        ClusterSettings s = ClusterSettings.from(TestMembers.config("toka", TestMembers.SECRET,
                "127.0.0.1:5701,127.0.0.1:5702", 5702), null, 8182);
        assertThat(s.httpUrl()).isEqualTo("http://127.0.0.1:8182");
        assertThat(ClusterSettings.from(TestMembers.config("toka", TestMembers.SECRET, "127.0.0.1:5701", 5701),
                "10.1.2.3", 8183).httpUrl()).as("the HTTP server's own host wins").isEqualTo("http://10.1.2.3:8183");
        assertThat(ClusterSettings.from(TestMembers.config("toka", TestMembers.SECRET, "127.0.0.1:5701", 5701),
                "0.0.0.0", 8183).httpUrl()).as("a wildcard means the bind address").isEqualTo("http://127.0.0.1:8183");
        assertThat(s.members()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702");
        assertThat(s.toString()).doesNotContain(TestMembers.SECRET);
        ClusterSecrets secrets = new ClusterSecrets("toka", TestMembers.SECRET);
        assertThat(secrets.hazelcastClusterName()).matches("toka-[0-9a-f]{24}").doesNotContain(TestMembers.SECRET);
        assertThat(new ClusterSecrets("toka", TestMembers.SECRET + "x").hazelcastClusterName())
                .isNotEqualTo(secrets.hazelcastClusterName());

        Path file = Files.writeString(dir.resolve("secret"), TestMembers.SECRET + "\n");
        ClusterNode.Config fromFile = new ClusterNode.Config() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return ClusterNode.Config.class;
            }

            @Override
            public String clusterName() {
                return "toka";
            }

            @Override
            public String secret() {
                return "";
            }

            @Override
            public String secretFile() {
                return file.toString();
            }

            @Override
            public String members() {
                return "127.0.0.1:5701";
            }

            @Override
            public String bindAddress() {
                return "127.0.0.1";
            }

            @Override
            public int port() {
                return 5701;
            }

            @Override
            public String memberName() {
                return "";
            }

            @Override
            public String httpUrl() {
                return "http://node-a.example:8181/";
            }
        };
        ClusterSettings f = ClusterSettings.from(fromFile, null, 8181);
        assertThat(f.secret()).isEqualTo(TestMembers.SECRET);
        assertThat(f.memberName()).isEqualTo("127.0.0.1:5701");
        assertThat(f.httpUrl()).isEqualTo("http://node-a.example:8181");
    }

    @Test
    void aCardIsTrustedOnlyWithTheSecretAndForTheMemberItNames() {
        ClusterSecrets secrets = new ClusterSecrets("toka", TestMembers.SECRET);
        ClusterMember m = new ClusterMember("id-1", "node-a", "127.0.0.1:5701", "http://127.0.0.1:8181",
                Instant.parse("2026-01-01T00:00:00Z"), new ClusterMember.Load(0.5, 0.1, 2, 10, 20),
                List.of(new ClusterMember.DeployedTool("hello", "1.0.0")), false, true,
                Instant.parse("2026-01-01T00:00:05Z"));
        String card = MemberCard.write(secrets, m);
        assertThat(MemberCard.read(secrets, card, "id-1", "127.0.0.1:5701", false)).isEqualTo(m);
        // without the secret
        assertThat(MemberCard.read(secrets, MemberCard.write(new ClusterSecrets("toka", TestMembers.SECRET + "!"), m),
                "id-1", "127.0.0.1:5701", false)).isNull();
        // altered after signing
        assertThat(MemberCard.read(secrets, card.replace("hello", "evil!"), "id-1", "127.0.0.1:5701", false)).isNull();
        // another member's card, copied under the intruder's id or address
        assertThat(MemberCard.read(secrets, card, "id-2", "127.0.0.1:5701", false)).isNull();
        assertThat(MemberCard.read(secrets, card, "id-1", "127.0.0.1:5799", false)).isNull();
        assertThat(MemberCard.read(secrets, "no signature", "id-1", "127.0.0.1:5701", false)).isNull();
        assertThat(MemberCard.read(secrets, null, "id-1", "127.0.0.1:5701", false)).isNull();
    }

    @Test
    void storedKeysOpenOnlyWithTheSecretAndTheirOwnKeyId() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        KeyCipher cipher = new KeyCipher(new ClusterSecrets("toka", TestMembers.SECRET).keyEncryptionKey());
        byte[] sealed = cipher.seal("k-1", key);
        assertThat(java.util.Collections.indexOfSubList(toList(sealed), toList(key))).isEqualTo(-1);
        assertThat(cipher.open("k-1", sealed)).isEqualTo(key);
        assertThatThrownBy(() -> cipher.open("k-2", sealed)).hasMessageContaining("cannot be decrypted");
        KeyCipher other = new KeyCipher(new ClusterSecrets("toka", TestMembers.SECRET + "?").keyEncryptionKey());
        assertThatThrownBy(() -> other.open("k-1", sealed)).hasMessageContaining("another cluster secret");
    }

    private static List<Byte> toList(byte[] b) {
        List<Byte> out = new java.util.ArrayList<>();
        for (byte x : b) {
            out.add(x);
        }
        return out;
    }
}
