package dev.podidentity.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

import java.time.Duration;
import java.util.Map;

/**
 * The function's configuration from a map of properties, read as the function reads it: SmallRye's
 * mapping with Quarkus's own converters, no Quarkus application started.
 *
 * <pre>{@code
 * PodIdentityConfig config = TestConfig.of(Map.of("pod-identity.api-server-url", "https://10.0.0.1:6443"));
 * }</pre>
 */
public final class TestConfig {

    private TestConfig() {
    }

    public static PodIdentityConfig of(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withMapping(PodIdentityConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 100))
                .build().getConfigMapping(PodIdentityConfig.class);
    }
}
