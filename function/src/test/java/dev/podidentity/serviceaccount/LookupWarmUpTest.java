package dev.podidentity.serviceaccount;

import dev.podidentity.cluster.TestCertificates;
import dev.podidentity.serviceaccount.LookupWarmUp.Warmed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

// Contract: docs/contract.md#lookups
class LookupWarmUpTest {

    @Test
    void warmingUpBuildsTheClientAndConnectsToNothing() throws IOException {
        try (ServerSocket apiServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + apiServer.getLocalPort();
            ClusterApi[] built = new ClusterApi[1];

            Warmed warmed = LookupWarmUp.warm(() -> built[0] = new ClusterApi("warm",
                    KubernetesClients.forUrl(url, null, null, false, Duration.ofSeconds(1)), null));

            assertEquals(Warmed.CLIENT, warmed);
            apiServer.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, apiServer::accept, "the warm-up connected to the API server");
            built[0].close();
        }
    }

    @Test
    void aFailedWarmUpIsOnlyReported() {
        assertEquals(Warmed.NOTHING, LookupWarmUp.warm(() -> {
            throw new IllegalStateException("no credentials yet");
        }));
    }

    @Test
    void theP256TableIsBuiltForACaWithAP256KeyOnly(@TempDir Path dir) {
        Path p256 = TestCertificates.authority("CN=k3s-server-ca").writePem(dir.resolve("p256.crt"));
        Path rsa = TestCertificates.rsaAuthority("CN=kubernetes").writePem(dir.resolve("rsa.crt"));

        assertEquals(Warmed.CLIENT_AND_P256_TABLE, warmWithCa(p256));
        assertEquals(Warmed.CLIENT, warmWithCa(rsa));
    }

    static Warmed warmWithCa(Path caFile) {
        ClusterApi[] built = new ClusterApi[1];
        Warmed warmed = LookupWarmUp.warm(() -> built[0] = new ClusterApi("warm",
                KubernetesClients.forUrl("https://127.0.0.1:6443", null, caFile, false, Duration.ofSeconds(1)), null));
        built[0].close();
        return warmed;
    }
}
