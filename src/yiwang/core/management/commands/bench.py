import json

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.bench import benchmarks


class Command(BaseCommand):
    help = "Run a benchmark; with --json the last line is one JSON object."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for benchmark in benchmarks:
            sub = subparsers.add_parser(benchmark.id, help=benchmark.verbose_name)
            sub.add_argument("--json", action="store_true", help="print one JSON line at the end")
            benchmark.add_arguments(sub)

    def handle(self, *args, benchmark, **options):
        if benchmark not in benchmarks:
            raise CommandError(f"unknown benchmark {benchmark!r}")
        result = benchmarks[benchmark].run(options, log=lambda line: self.stderr.write(line))
        document = {
            "name": result.name,
            "params": result.params,
            "metrics": result.metrics,
            "floor": result.floor,
            "ratio": result.ratio,
        }
        self.stdout.write(
            json.dumps(document, ensure_ascii=False)
            if options["json"]
            else json.dumps(document, ensure_ascii=False, indent=2)
        )
