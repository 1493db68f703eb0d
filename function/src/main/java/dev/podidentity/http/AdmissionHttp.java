package dev.podidentity.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import dev.podidentity.admission.AdmissionReview;
import dev.podidentity.admission.AdmissionReviewAnswerWriter;
import dev.podidentity.admission.BadReviewException;
import dev.podidentity.cluster.ClusterRegistry;
import dev.podidentity.cluster.Registration;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.List;

/**
 * The admission path after {@link AdmissionGate} has let a request in (its cluster found, its
 * caller authenticated, room reserved), the same for every admission path — {@code /mutate},
 * {@code /clusters/<id>/mutate}, each with or without a trailing slash: the body is read (at most
 * {@code quarkus.http.limits.max-body-size}), decoded, answered by its cluster's
 * {@code AdmissionHandler} on a worker thread (lookups block), and encoded. Whatever fails on the
 * way is answered by {@link FailureAnswers}.
 *
 * <pre>{@code
 * curl -s -H 'Content-Type: application/json' --data @examples/irsa-pod.json localhost:8080/mutate
 * }</pre>
 */
@ApplicationScoped
public class AdmissionHttp {

    /** The admission path of the default cluster. */
    public static final String MUTATE_PATH = "/mutate";
    /** The admission path of one cluster of a shared deployment. */
    public static final String CLUSTER_MUTATE_PATH = "/clusters/:cluster/mutate";
    /** Both: each route of the admission path is installed on each. */
    static final List<String> PATHS = List.of(MUTATE_PATH, CLUSTER_MUTATE_PATH);

    private static final Logger LOG = Logger.getLogger(AdmissionHttp.class);

    private final ObjectReader reviews;
    private final ClusterRegistry clusters;
    private final FailureAnswers failures;
    private final long maxBodyBytes;

    public AdmissionHttp(ObjectMapper mapper, ClusterRegistry clusters, FailureAnswers failures,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody) {
        this.reviews = mapper.readerFor(AdmissionReview.class);
        this.clusters = clusters;
        this.failures = failures;
        this.maxBodyBytes = maxBody.asLongValue();
    }

    void install(@Observes Router router) {
        for (String path : PATHS) {
            router.route(path).order(RouteOrder.ADMISSION_BODY)
                    .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes)).failureHandler(failures::answer);
            router.route(path).order(RouteOrder.ADMISSION_ANSWER).handler(this::answer)
                    .failureHandler(failures::answer);
        }
    }

    private void answer(RoutingContext ctx) {
        Registration registration = ctx.get(AdmissionGate.REGISTRATION);
        Buffer body = ctx.body().buffer();
        ctx.vertx().executeBlocking(() -> {
            AdmissionReview review;
            try {
                review = body == null || body.length() == 0 ? null : reviews.readValue(body.getBytes());
            } catch (IOException e) {
                // The reason may quote the body: the caller is told, the log gets a line without it.
                LOG.info("refused an admission request whose body is not a readable AdmissionReview");
                throw new BadReviewException(FailureAnswers.whyUnreadable(e));
            }
            return AdmissionReviewAnswerWriter.toBytes(clusters.handler(registration).handle(review));
        }, false).onSuccess(answer -> ctx.response().setStatusCode(200)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(Buffer.buffer(answer)))
                .onFailure(ctx::fail);
    }
}
