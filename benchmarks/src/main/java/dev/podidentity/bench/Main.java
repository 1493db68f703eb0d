package dev.podidentity.bench;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.List;

/**
 * JMH's own command line, plus: with {@code -Dfixtures=DIR} every benchmark runs on each
 * {@code *.json} file of DIR instead of the bundled fixtures (unless {@code -p fixture=…} is given).
 *
 * <pre>
 * java -Dfixtures=/tmp/my-reviews -jar benchmarks/target/benchmarks.jar -prof gc
 * </pre>
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        if (cli.shouldHelp() || cli.shouldList() || cli.shouldListProfilers() || cli.shouldListResultFormats()
                || cli.shouldListWithParams()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cli);
        List<String> own = Fixtures.userFixtures();
        if (!own.isEmpty() && cli.getParameter("fixture").hasValue() == false) {
            options.param("fixture", own.toArray(String[]::new));
            // the forks read the files too: hand them the directory
            String dir = "-D" + Fixtures.PROPERTY + "=" + System.getProperty(Fixtures.PROPERTY);
            options.jvmArgsAppend(dir);
        }
        new Runner(options.build()).run();
    }
}
