from services.servicedesk import visit_models  # noqa: F401  (planned visits' tables, on the same Base)
from services.servicedesk.models import Base
from shared import migrations

migrations.run("servicedesk", Base.metadata)
