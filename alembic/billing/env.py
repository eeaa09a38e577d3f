from services.billing.models import Base
from shared import migrations

migrations.run("billing", Base.metadata)
