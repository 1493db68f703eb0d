package dev.podidentity.cluster;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * Two API servers (WireMock) whose ServiceAccount {@code default/s3-reader} has the same name and a
 * different role in each, and the caller token files of the two clusters.
 */
public class TwoApiServers implements QuarkusTestResourceLifecycleManager {

    static WireMockServer alpha;
    static WireMockServer beta;
    static Path alphaToken;
    static Path betaToken;

    static final String SA_PATH = "/api/v1/namespaces/default/serviceaccounts/s3-reader";

    @Override
    public Map<String, String> start() {
        try {
            alpha = serving("alpha");
            beta = serving("beta");
            Path dir = Files.createTempDirectory("caller-tokens");
            alphaToken = Files.writeString(dir.resolve("alpha"), "alpha-secret\n");
            betaToken = Files.writeString(dir.resolve("beta"), "beta-secret");
            return Map.of(
                    "pod-identity.clusters.alpha.api-server-url", alpha.baseUrl(),
                    "pod-identity.clusters.alpha.caller-token-file", alphaToken.toString(),
                    "pod-identity.clusters.beta.api-server-url", beta.baseUrl(),
                    "pod-identity.clusters.beta.caller-token-file", betaToken.toString(),
                    "pod-identity.clusters.beta.aws-default-region", "us-west-2",
                    "pod-identity.file-check-interval", "0s");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static WireMockServer serving(String cluster) {
        WireMockServer server = new WireMockServer(options().dynamicPort());
        server.start();
        server.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson("""
                {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"s3-reader","namespace":"default",
                 "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/%s-reader"}}}"""
                .formatted(cluster))));
        return server;
    }

    @Override
    public void stop() {
        alpha.stop();
        beta.stop();
    }
}
