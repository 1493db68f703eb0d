package dev.podidentity.serviceaccount;

import dev.podidentity.cluster.TestCertificates;
import dev.podidentity.serviceaccount.LookupWarmUp.Piece;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

// Contract: docs/contract.md#lookups
class LookupWarmUpTest {

    @Test
    void warmingUpBuildsTheClientAndConnectsToNothing(@TempDir Path dir) throws IOException {
        Path ca = TestCertificates.rsaAuthority("CN=kubernetes").writePem(dir.resolve("ca.crt"));
        try (ServerSocket apiServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Set<Piece> warmed = warm("https://127.0.0.1:" + apiServer.getLocalPort(), ca);

            assertEquals(EnumSet.of(Piece.CLIENT, Piece.NETTY_TLS_DEFAULTS), warmed);
            apiServer.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, apiServer::accept, "the warm-up connected to the API server");
        }
    }

    @Test
    void anApiServerOverPlainHttpNeedsNoTlsDefaults() {
        assertEquals(EnumSet.of(Piece.CLIENT), warm("http://127.0.0.1:6443", null));
    }

    @Test
    void aFailedWarmUpIsOnlyReported() {
        assertEquals(Set.of(), LookupWarmUp.warm(() -> {
            throw new IllegalStateException("no credentials yet");
        }));
    }

    @Test
    void theP256TableIsBuiltForACaWithAP256KeyOnly(@TempDir Path dir) {
        Path p256 = TestCertificates.authority("CN=k3s-server-ca").writePem(dir.resolve("p256.crt"));
        Path rsa = TestCertificates.rsaAuthority("CN=kubernetes").writePem(dir.resolve("rsa.crt"));

        assertEquals(EnumSet.allOf(Piece.class), warm("https://127.0.0.1:6443", p256));
        assertEquals(EnumSet.of(Piece.CLIENT, Piece.NETTY_TLS_DEFAULTS), warm("https://127.0.0.1:6443", rsa));
    }

    /** A warm-up of a client of {@code url} that trusts {@code caFile} (none: fabric8's default). */
    static Set<Piece> warm(String url, Path caFile) {
        ClusterApi[] built = new ClusterApi[1];
        Set<Piece> warmed = LookupWarmUp.warm(() -> built[0] = new ClusterApi("warm",
                TestClients.forUrl(url, null, caFile, false, Duration.ofSeconds(1)), null));
        built[0].close();
        return warmed;
    }
}
