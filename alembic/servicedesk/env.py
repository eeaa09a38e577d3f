from services.servicedesk.models import Base
from shared import migrations

migrations.run("servicedesk", Base.metadata)
