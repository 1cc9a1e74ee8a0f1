/*
 * Runs the REAL Jenkinsfile under Groovy 2.4 (the Groovy line Jenkins pipelines run) with every
 * pipeline step bound to a recording closure, once per scenario, in one JVM (JVM starts are the
 * slow part). Like JenkinsPipelineUnit, which cannot be installed here.
 *
 *   groovy harness.groovy JENKINSFILE SCENARIOS.json  ->  JSON on stdout: {name: {calls, result}}
 *
 * A scenario says what the build sees: the job (its full name), branch, change id (pull
 * request), parameters, which sh commands fail, how the approval ends (approve | refuse |
 * timeout), and the controller as pipeline/jenkins defines it: which folder holds each
 * credential (a job sees only credentials of its own folders, or global ones) and which jobs
 * each agent label may run (a node nobody may give this job waits forever: the build ends
 * ABORTED here). Unknown steps are not bound, so the Jenkinsfile calling a step this harness
 * does not know fails loudly.
 * Exit codes: 0 every scenario ran; 3 the Jenkinsfile does not compile; 2 bad arguments.
 */
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import org.codehaus.groovy.control.CompilationFailedException
import org.codehaus.groovy.runtime.InvokerHelper

/** What Jenkins throws when a sh step or `error` fails: the build ends FAILURE. */
class AbortException extends RuntimeException {
    AbortException(String message) { super(message) }
}

/** What Jenkins throws when a person or a timeout interrupts the build: it ends ABORTED. */
class FlowInterruptedException extends RuntimeException {
    FlowInterruptedException(String message) { super(message) }
}

/** One build of the Jenkinsfile with recording steps. */
class Recorder {
    final Map scenario
    final List calls = []
    final Map env = [:]
    final Map currentBuild = [displayName: '#42', description: null, result: null]
    int approvals = 0
    final List nodes = []
    final List stages = []
    final List credentials = []
    final List parallels = []
    final Set stashes = []
    int timeouts = 0
    int locks = 0

    Recorder(Map scenario) {
        this.scenario = scenario
        env.BUILD_NUMBER = '42'
        env.JOB_NAME = scenario.jobName ?: 'visitor-counter'
        if (scenario.branchEnv) {
            env.BRANCH_NAME = scenario.branch
        }
        if (scenario.changeId) {
            env.CHANGE_ID = scenario.changeId
        }
        // Who started the build by hand (scenario.startedBy), as Jenkins' user cause tells.
        currentBuild.getBuildCauses = { String type ->
            type == 'hudson.model.Cause$UserIdCause' && scenario.startedBy ?
                [[userId: scenario.startedBy]] : []
        }
    }

    /** Every call is logged with where it happened: stage, node, lock, bound credentials. */
    Map record(String step, Map details) {
        Map call = [step: step, stage: stages ? stages[-1] : null, inNode: !nodes.isEmpty(),
                    node: nodes ? nodes[-1] : null, branch: parallels ? parallels[-1] : null,
                    inTimeout: timeouts > 0, inLock: locks > 0,
                    credentials: credentials.collect { it.keySet() }.flatten()] + details
        calls << call
        return call
    }

    Object around(String step, Map details, Closure body, Closure enter, Closure leave) {
        record(step, details)
        enter()
        try {
            return body()
        } finally {
            leave()
        }
    }

    Object sh(Object arguments) {
        Map args = arguments instanceof Map ? arguments : [script: arguments]
        String script = args.script.toString()
        record('sh', [script: script, returnStdout: args.returnStdout ?: false,
                      envSnapshot: new HashMap(env)])
        for (String failing : (scenario.failSh ?: [])) {
            if (script.contains(failing)) {
                if (args.returnStatus) {
                    return 1
                }
                throw new AbortException("script returned exit code 1: ${script}")
            }
        }
        if (args.returnStatus) {
            return 0
        }
        if (!args.returnStdout) {
            return null
        }
        // The most specific canned output wins: '--plan --json' before '--plan'.
        Map.Entry canned = (scenario.stdout ?: [:]).entrySet()
            .findAll { script.contains(it.key) }.max { it.key.length() }
        return canned ? canned.value : ''
    }

    Object input(Map args) {
        record('input', [id: args.id, message: args.message.toString(), ok: args.ok,
                         submitter: args.submitter, submitterParameter: args.submitterParameter])
        switch (scenario.approval) {
            case 'approve':
                // scenario.approvers answer in turn (default: alice); past the last, it times out.
                List approvers = scenario.approvers ?: ['alice']
                if (approvals >= approvers.size()) {
                    throw new FlowInterruptedException('Timeout has been exceeded')
                }
                return args.submitterParameter ? approvers[approvals++] : null
            case 'refuse':
                throw new FlowInterruptedException('Rejected by bob')
            case 'timeout':
                if (timeouts == 0) {
                    throw new IllegalStateException('input outside any timeout would wait forever')
                }
                throw new FlowInterruptedException('Timeout has been exceeded')
            default:
                throw new IllegalStateException("scenario has no approval answer: ${scenario.approval}")
        }
    }

    /** Credentials resolve as Jenkins resolves them: from the job's folders, or global. */
    void requireVisible(String credentialsId) {
        Map folders = scenario.jenkins?.credentials ?: [:]
        String folder = folders[credentialsId]
        if (folder == null || !(folder == '' || env.JOB_NAME.startsWith(folder + '/'))) {
            throw new AbortException("Could not find credentials entry with ID '${credentialsId}'")
        }
    }

    /** A label no agent has, or whose agents refuse this job, leaves the build queued forever. */
    void requireAgent(String label) {
        Map agents = scenario.jenkins?.agents ?: [:]
        if (!agents.containsKey(label)) {
            throw new FlowInterruptedException("no agent has the label '${label}'")
        }
        String allowed = agents[label]
        if (allowed != null && !(env.JOB_NAME ==~ allowed)) {
            throw new FlowInterruptedException(
                "the agents labelled '${label}' refuse ${env.JOB_NAME} (job restriction ${allowed})")
        }
    }

    /** Jenkins runs every branch; when one fails, the others still finish, then it fails. */
    Object parallel(Map branches) {
        record('parallel', [branches: branches.keySet().findAll { it != 'failFast' } as List])
        RuntimeException first = null
        branches.each { String name, Object body ->
            if (name == 'failFast') {
                return
            }
            try {
                around('branch', [name: name], body as Closure, { parallels << name },
                       { parallels.pop() })
            } catch (AbortException | FlowInterruptedException failure) {
                first = first ?: failure
            }
        }
        if (first != null) {
            throw first
        }
        return null
    }

    /** The binding every Jenkinsfile sees: globals plus one closure per step. */
    Binding binding() {
        Binding binding = new Binding()
        binding.setVariable('env', env)
        binding.setVariable('params', scenario.params ?: [:])
        binding.setVariable('currentBuild', currentBuild)
        binding.setVariable('scm', [type: 'GitSCM'])
        Map steps = [
            usernamePassword: { Map args -> [usernamePassword: args] },
            file: { Map args -> [file: args] },
            sshUserPrivateKey: { Map args -> [sshUserPrivateKey: args] },
            node: { String label, Closure body ->
                record('node', [label: label])
                requireAgent(label)
                nodes << label
                try {
                    return body()
                } finally {
                    nodes.pop()
                }
            },
            parallel: { Map branches -> parallel(branches) },
            stage: { String name, Closure body ->
                around('stage', [name: name], body, { stages << name }, { stages.pop() })
            },
            timeout: { Map args, Closure body ->
                around('timeout', [time: args.time, unit: args.unit.toString()], body,
                       { timeouts++ }, { timeouts-- })
            },
            lock: { Map args, Closure body ->
                around('lock', [resource: args.resource.toString(),
                                inversePrecedence: args.inversePrecedence], body,
                       { locks++ }, { locks-- })
            },
            withCredentials: { List bindings, Closure body ->
                bindings.each { Map credential -> requireVisible(credential.values().first().credentialsId) }
                Map bound = [:]
                bindings.each { Map credential ->
                    Map spec = credential.values().first()
                    spec.findAll { it.key.endsWith('Variable') || it.key == 'variable' }
                        .each { bound[it.value] = "SECRET-${spec.credentialsId}-${it.value}" }
                }
                record('withCredentials', [ids: bindings.collect { it.values().first().credentialsId },
                                           variables: bound.keySet() as List])
                credentials << bound
                env.putAll(bound)
                try {
                    return body()
                } finally {
                    credentials.pop()
                    bound.keySet().each { env.remove(it) }
                }
            },
            withEnv: { List assignments, Closure body ->
                Map saved = new HashMap(env)
                record('withEnv', [assignments: assignments.collect { it.toString() }])
                assignments.each { String pair ->
                    int equals = pair.indexOf('=')
                    env[pair.substring(0, equals)] = pair.substring(equals + 1)
                }
                try {
                    return body()
                } finally {
                    env.clear()
                    env.putAll(saved)
                }
            },
            checkout: { Object scm ->
                record('checkout', [:])
                return [GIT_BRANCH: "origin/${scenario.branch}", GIT_COMMIT: 'abc1234']
            },
            sh: { Object arguments -> sh(arguments) },
            input: { Map args -> input(args) },
            milestone: { Object ordinal -> record('milestone', [ordinal: ordinal]) },
            deleteDir: { -> record('deleteDir', [:]) },
            junit: { Map args -> record('junit', args) },
            recordCoverage: { Map args -> record('recordCoverage', args) },
            publishHTML: { Map args -> record('publishHTML', args) },
            archiveArtifacts: { Map args -> record('archiveArtifacts', args) },
            stash: { Map args ->
                record('stash', args)
                stashes << args.name
            },
            unstash: { String name ->
                record('unstash', [name: name])
                if (!stashes.contains(name)) {
                    throw new AbortException("No such saved stash '${name}'")
                }
            },
            writeFile: { Map args -> record('writeFile', [file: args.file, text: args.text.toString()]) },
            echo: { Object message -> record('echo', [message: message.toString()]) },
            error: { Object message -> throw new AbortException(message.toString()) },
        ]
        steps.each { name, closure -> binding.setVariable(name, closure) }
        return binding
    }

    /** Plays the build and says how Jenkins would end it. */
    Map play(Class jenkinsfile) {
        String result = 'SUCCESS'
        String error = null
        try {
            InvokerHelper.createScript(jenkinsfile, binding()).run()
        } catch (AbortException failure) {
            result = 'FAILURE'
            error = failure.message
        } catch (FlowInterruptedException interruption) {
            result = 'ABORTED'
            error = interruption.message
        }
        return [calls: calls, result: currentBuild.result ?: result, error: error,
                displayName: currentBuild.displayName, description: currentBuild.description]
    }
}

if (args.length != 2) {
    System.err.println('usage: groovy harness.groovy JENKINSFILE SCENARIOS.json')
    System.exit(2)
}
File jenkinsfile = new File(args[0])
Map scenarios = new JsonSlurper().parse(new File(args[1]))
Class compiled
try {
    compiled = new GroovyShell().getClassLoader().parseClass(jenkinsfile.text, 'Jenkinsfile')
} catch (CompilationFailedException failure) {
    System.err.println("Jenkinsfile does not compile: ${failure.message}")
    System.exit(3)
}
Map results = scenarios.collectEntries { String name, Map scenario ->
    [(name): new Recorder(scenario).play(compiled)]
}
println JsonOutput.toJson(results)
