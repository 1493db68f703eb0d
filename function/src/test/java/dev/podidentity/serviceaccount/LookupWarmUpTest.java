package dev.podidentity.serviceaccount;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#lookups
class LookupWarmUpTest {

    @Test
    void warmingUpBuildsTheClientAndConnectsToNothing() throws IOException {
        try (ServerSocket apiServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + apiServer.getLocalPort();
            ClusterApi[] built = new ClusterApi[1];

            boolean warmed = LookupWarmUp.warm(() -> built[0] = new ClusterApi("warm",
                    KubernetesClients.forUrl(url, null, null, false, Duration.ofSeconds(1)), null));

            assertTrue(warmed);
            apiServer.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, apiServer::accept, "the warm-up connected to the API server");
            built[0].close();
        }
    }

    @Test
    void aFailedWarmUpIsOnlyReported() {
        assertFalse(LookupWarmUp.warm(() -> {
            throw new IllegalStateException("no credentials yet");
        }));
    }
}
