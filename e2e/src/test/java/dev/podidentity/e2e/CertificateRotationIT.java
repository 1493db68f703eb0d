package dev.podidentity.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

import org.junit.jupiter.api.Test;

import java.security.cert.X509Certificate;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A rotated serving certificate (as cert-manager renews it) is served without a restart and used by the API server. */
// Contract: docs/contract.md#tls
class CertificateRotationIT {

    /** The CN of the certificate the function serves right now. */
    static String servedCn(int port) throws Exception {
        SSLContext ssl = Pki.trustAll();
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            X509Certificate served = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            return served.getSubjectX500Principal().getName().replace("CN=", "");
        }
    }

    /**
     * {@link #servedCn}, or null when the handshake was cut: Vert.x 4.5 closes a connection accepted
     * while it loads the new certificate (docs/contract.md, "HTTPS"), and this loop polls through
     * that instant. The assertions after it are strict.
     */
    static String servedCnOrNull(int port) throws Exception {
        try {
            return servedCn(port);
        } catch (SSLHandshakeException cutWhileReloading) {
            return null;
        }
    }

    @Test
    void theNextWebhookCallUsesTheRotatedCertificate() throws Exception {
        E2eEnvironment env = E2eEnvironment.get();
        env.serviceAccount("e2e-rotation", "app", Map.of("eks.amazonaws.com/role-arn",
                "arn:aws:iam::111122223333:role/rotation"));
        String before = servedCn(env.httpsPort);

        String rotated = env.rotateFunctionCertificate();
        long deadline = System.nanoTime() + 45_000_000_000L; // re-read every 30 s
        while (!rotated.equals(servedCnOrNull(env.httpsPort)) && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }

        assertTrue(!before.equals(rotated));
        assertEquals(rotated, servedCn(env.httpsPort));
        Pod pod = env.client.pods().inNamespace("e2e-rotation").resource(new PodBuilder().withNewMetadata()
                .withGenerateName("after-rotation-").endMetadata().withNewSpec().withServiceAccountName("app")
                .addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().build()).create();
        assertTrue(pod.getSpec().getVolumes().stream().anyMatch(v -> v.getName().equals("aws-iam-token")),
                "mutated through the new certificate");
    }
}
