package dev.podidentity.identity;

import dev.podidentity.serviceaccount.TestGuards;
import dev.podidentity.serviceaccount.TestClients;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.tomakehurst.wiremock.WireMockServer;

import dev.podidentity.serviceaccount.ApiGuard;
import dev.podidentity.serviceaccount.ApiServerClient;
import dev.podidentity.serviceaccount.LookupFailedException;
import dev.podidentity.serviceaccount.LookupSettings;
import dev.podidentity.serviceaccount.ServiceAccountRef;
import dev.podidentity.serviceaccount.TestLookupSettings;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mapping ConfigMap as the API server answers it: present, absent, without the key, not a ConfigMap. */
class KubernetesRoleMappingsTest {

    static final String PATH = "/api/v1/namespaces/eks/configmaps/pod-identity-webhook";
    static final ServiceAccountRef MAPPED = new ServiceAccountRef("apps", "mapped");

    WireMockServer api;
    ApiServerClient client;
    ExecutorService executor;

    @BeforeEach
    void start() {
        api = new WireMockServer(options().dynamicPort());
        api.start();
        client = TestClients.forUrl(api.baseUrl(), null, null, false, Duration.ofSeconds(30));
        executor = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void stop() {
        executor.shutdownNow();
        client.close();
        api.stop();
    }

    RoleMappings current() {
        LookupSettings settings = TestLookupSettings.UNHURRIED;
        return new KubernetesRoleMappings(client, TestGuards.of("test", settings), "eks", "pod-identity-webhook",
                settings, Ticker.systemTicker(), executor).current();
    }

    @Test
    void theKeyConfigOfTheConfigMapIsRead() {
        api.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson("""
                {"kind":"ConfigMap","data":{"config":"{\\"apps/mapped\\":{\\"RoleARN\\":\\"arn:aws:iam::111122223333:role/m\\"}}"}}""")));

        assertEquals("arn:aws:iam::111122223333:role/m", current().find(MAPPED).orElseThrow().roleArn());
    }

    @Test
    void anAbsentConfigMapOrOneWithoutTheKeyMapsNothing() {
        assertTrue(current().find(MAPPED).isEmpty(), "404");

        api.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson("{\"kind\":\"ConfigMap\",\"data\":{\"other\":\"x\"}}")));
        assertTrue(current().find(MAPPED).isEmpty(), "no key config");

        api.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson("{\"kind\":\"ConfigMap\"}")));
        assertTrue(current().find(MAPPED).isEmpty(), "no data");
    }

    @Test
    void anAnswerThatIsNotJsonIsALookupFailure() {
        api.stubFor(get(urlPathEqualTo(PATH)).willReturn(aResponse().withStatus(200).withBody("<html>proxy</html>")));

        LookupFailedException e = assertThrows(LookupFailedException.class, this::current);
        assertTrue(e.getMessage().contains("not a ConfigMap"), e.getMessage());
    }
}
