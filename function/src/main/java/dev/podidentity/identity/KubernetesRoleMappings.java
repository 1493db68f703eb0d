package dev.podidentity.identity;

import com.github.benmanes.caffeine.cache.Ticker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.podidentity.serviceaccount.ApiGuard;
import dev.podidentity.serviceaccount.ApiServerClient;
import dev.podidentity.serviceaccount.CachedLookup;
import dev.podidentity.serviceaccount.LookupFailedException;
import dev.podidentity.serviceaccount.LookupSettings;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.concurrent.Executor;

/**
 * The mapping ConfigMap ({@code <namespace>/<name>}, key {@code config}) read on demand from the
 * API server, with the same cache and fault-tolerance policy as ServiceAccounts. A missing
 * ConfigMap maps nothing; a malformed one maps nothing and is logged.
 *
 * <pre>{@code
 * RoleMappingSource mappings = new KubernetesRoleMappings(client, guard, "eks", "pod-identity-webhook",
 *         settings, Ticker.systemTicker(), executor);
 * }</pre>
 */
public final class KubernetesRoleMappings implements RoleMappingSource {

    private static final Logger LOG = Logger.getLogger(KubernetesRoleMappings.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CachedLookup<String, RoleMappings> lookup;
    private final String key;

    public KubernetesRoleMappings(ApiServerClient client, ApiGuard guard, String namespace, String name,
            LookupSettings settings, Ticker ticker, Executor executor) {
        this.key = namespace + "/" + name;
        String path = "/api/v1/namespaces/" + namespace + "/configmaps/" + name;
        this.lookup = new CachedLookup<>("mapping ConfigMap", k -> {
            String what = "GET ConfigMap " + k;
            String json = guard.call(what, () -> client.getOrNull(path));
            return json == null ? RoleMappings.EMPTY : parse(what, json);
        }, settings, ticker, executor);
    }

    @Override
    public RoleMappings current() {
        return lookup.get(key);
    }

    /** The mappings under the ConfigMap's key {@code config}; none when it has no such key. */
    private RoleMappings parse(String what, String json) {
        JsonNode config;
        try {
            config = JSON.readTree(json).path("data").path("config");
        } catch (IOException e) {
            throw new LookupFailedException(what + ": the API server's answer is not a ConfigMap: " + e.getMessage(), e);
        }
        if (!config.isTextual()) {
            return RoleMappings.EMPTY;
        }
        try {
            return RoleMappings.parse(config.textValue());
        } catch (IOException e) {
            LOG.errorf("ConfigMap %s key config is not a JSON object of mappings; nothing is mapped: %s", key,
                    e.getMessage());
            return RoleMappings.EMPTY;
        }
    }
}
