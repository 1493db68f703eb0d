package dev.podidentity.identity;

import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.serviceaccount.ApiGuard;
import dev.podidentity.serviceaccount.CachedLookup;
import dev.podidentity.serviceaccount.LookupSettings;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;

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

    private final CachedLookup<String, RoleMappings> lookup;
    private final String key;

    public KubernetesRoleMappings(KubernetesClient client, ApiGuard guard, String namespace, String name,
            LookupSettings settings, Ticker ticker, Executor executor) {
        this.key = namespace + "/" + name;
        this.lookup = new CachedLookup<>("mapping ConfigMap", k -> {
            ConfigMap configMap = guard.call("GET ConfigMap " + k,
                    () -> client.configMaps().inNamespace(namespace).withName(name).get());
            return parse(configMap);
        }, settings, ticker, executor);
    }

    @Override
    public RoleMappings current() {
        return lookup.get(key);
    }

    private RoleMappings parse(ConfigMap configMap) {
        if (configMap == null || configMap.getData() == null) {
            return RoleMappings.EMPTY;
        }
        try {
            return RoleMappings.parse(configMap.getData().get("config"));
        } catch (IOException e) {
            LOG.errorf("ConfigMap %s key config is not a JSON object of mappings; nothing is mapped: %s", key,
                    e.getMessage());
            return RoleMappings.EMPTY;
        }
    }
}
