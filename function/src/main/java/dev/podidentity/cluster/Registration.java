package dev.podidentity.cluster;

import dev.podidentity.config.LookupFailurePolicy;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A cluster as a source registered it: usable, or broken with the reason. A broken cluster fails
 * alone: its callers are answered clearly (401, 503, or an admission decided as its
 * {@code on-lookup-failure} says, with the reason as a warning), every other cluster is served.
 *
 * <pre>{@code
 * Registration registration = registry.find("prod-eu").join().orElseThrow();
 * String state = switch (registration) {
 *     case Registration.Usable usable -> "served from " + usable.settings().access();
 *     case Registration.Broken broken -> "not served: " + broken.problem();
 * };
 * }</pre>
 */
public sealed interface Registration {

    /** The cluster id. */
    String id();

    /** What its callers must present; null when that cannot be read, so that no caller is accepted. */
    CallerCredentials callers();

    /**
     * A cluster that can be served.
     *
     * @param settings what it is served with
     * @param callers what its API server must present
     * @param oidc its OIDC discovery documents, or null: none served
     */
    record Usable(ClusterSettings settings, CallerCredentials callers, Oidc oidc) implements Registration {
        public Usable {
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(callers, "callers");
        }

        @Override
        public String id() {
            return settings.id();
        }
    }

    /**
     * A cluster whose registration cannot be used as it is.
     *
     * @param id the cluster id
     * @param problem what is wrong, for its operator (the log, and its authenticated callers)
     * @param callers what its API server must present, or null when they cannot be read either
     * @param onLookupFailure how its admissions are answered meanwhile (its own setting if it
     *     could be read, else the shared one)
     */
    record Broken(String id, String problem, CallerCredentials callers, LookupFailurePolicy onLookupFailure)
            implements Registration {
        public Broken {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(problem, "problem");
            Objects.requireNonNull(onLookupFailure, "onLookupFailure");
        }
    }

    /**
     * The OIDC discovery a cluster has served for it.
     *
     * @param issuer the issuer URL, its API server's {@code --service-account-issuer}
     * @param publicKeyFiles PEM public keys to publish; empty: the cluster's own JWKS, fetched from
     *     its API server
     */
    record Oidc(String issuer, List<Path> publicKeyFiles) {
        public Oidc {
            Objects.requireNonNull(issuer, "issuer");
            publicKeyFiles = List.copyOf(publicKeyFiles);
        }
    }
}
