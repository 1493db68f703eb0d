package dev.podidentity.admission;

import dev.podidentity.config.PodIdentityConfig;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The one {@link InFlightBytes} of the process, sized by {@code pod-identity.limits.max-in-flight-bytes}.
 *
 * <pre>{@code
 * @Inject InFlightBytes inFlight;
 * }</pre>
 */
@ApplicationScoped
public class InFlightBytesProducer {

    @Produces
    @Singleton
    InFlightBytes inFlightBytes(PodIdentityConfig config) {
        return InFlightBytes.of(config.limits().maxInFlightBytes().asLongValue(),
                config.limits().maxInFlightBytesPerCluster().asLongValue());
    }
}
